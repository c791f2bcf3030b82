import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { sqliteTarget } from './store-targets.js';

describeStoreConformance('SQLite', sqliteTarget);
describeStatusConformance('SQLite', sqliteTarget);
describeCallbackLane('SQLite', sqliteTarget);
describeDashboardConformance('SQLite', sqliteTarget);
