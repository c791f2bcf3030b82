import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { redisTarget } from './store-targets.js';
import { describeRedisSettle, redisSettleTarget } from './redis-settle-conformance.js';

describeStoreConformance('Redis', redisTarget);
describeStatusConformance('Redis', redisTarget);
describeCallbackLane('Redis', redisTarget);
describeDashboardConformance('Redis', redisTarget);
describeRedisSettle('Redis', redisSettleTarget);
