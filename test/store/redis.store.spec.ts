import { describeStoreConformance } from './store-conformance.js';
import { redisTarget } from './store-targets.js';

describeStoreConformance('Redis', redisTarget);
