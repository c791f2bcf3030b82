import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { redisStore } from '../support/stores.js';
import { describeRedisSettle, redisSettleTarget } from './redis-settle-conformance.js';

describeStoreConformance('Redis', redisStore);
describeStatusConformance('Redis', redisStore);
describeCallbackLane('Redis', redisStore, { handsOver: true });
describeDashboardConformance('Redis', redisStore);
describeRedisSettle('Redis', redisSettleTarget);
