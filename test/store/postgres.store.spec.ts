import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { postgresStore } from '../support/stores.js';

describeStoreConformance('PostgreSQL', postgresStore);
describeStatusConformance('PostgreSQL', postgresStore);
describeCallbackLane('PostgreSQL', postgresStore, { handsOver: true });
describeDashboardConformance('PostgreSQL', postgresStore);
