import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { mariadbTarget } from './store-targets.js';

describeStoreConformance('MariaDB', mariadbTarget);
describeStatusConformance('MariaDB', mariadbTarget);
describeCallbackLane('MariaDB', mariadbTarget);
describeDashboardConformance('MariaDB', mariadbTarget);
