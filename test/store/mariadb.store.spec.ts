import { describeStoreConformance } from './store-conformance.js';
import { mariadbTarget } from './store-targets.js';

describeStoreConformance('MariaDB', mariadbTarget);
