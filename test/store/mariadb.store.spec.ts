import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { mariadbStore } from '../support/stores.js';

describeStoreConformance('MariaDB', mariadbStore);
describeStatusConformance('MariaDB', mariadbStore);
describeCallbackLane('MariaDB', mariadbStore, { handsOver: true });
describeDashboardConformance('MariaDB', mariadbStore);
