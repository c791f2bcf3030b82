import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { sqliteStore } from '../support/stores.js';

describeStoreConformance('SQLite', sqliteStore);
describeStatusConformance('SQLite', sqliteStore);
describeCallbackLane('SQLite', sqliteStore, { handsOver: true });
describeDashboardConformance('SQLite', sqliteStore);
