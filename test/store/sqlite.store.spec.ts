import { describeStoreConformance } from './store-conformance.js';
import { sqliteTarget } from './store-targets.js';

describeStoreConformance('SQLite', sqliteTarget);
