import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { postgresTarget } from './store-targets.js';

describeStoreConformance('PostgreSQL', postgresTarget);
describeStatusConformance('PostgreSQL', postgresTarget);
describeCallbackLane('PostgreSQL', postgresTarget);
describeDashboardConformance('PostgreSQL', postgresTarget);
