import { describeStoreConformance } from './store-conformance.js';
import { postgresTarget } from './store-targets.js';

describeStoreConformance('PostgreSQL', postgresTarget);
