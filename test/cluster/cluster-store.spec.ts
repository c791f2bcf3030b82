import { afterAll, beforeAll, describe } from 'vitest';
import { describeCallbackLane } from '../store/callback-lane-conformance.js';
import { describeStatusConformance } from '../store/status-conformance.js';
import { describeStoreConformance } from '../store/store-conformance.js';
import { describeRedisSettle } from '../store/redis-settle-conformance.js';
import { clusterSettleTarget, clusterStore } from './support/cluster-target.js';
import { clusterSkip, RedisClusterFixture } from './support/redis-cluster.js';

// The store contract on a Redis Cluster of six nodes of its own, under a hash-tagged prefix.
let cluster: RedisClusterFixture;

const skip = clusterSkip();

beforeAll(async () => {
  if (skip) return;
  cluster = await new RedisClusterFixture().start();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const source = clusterStore(() => cluster);
describe.skipIf(skip !== null)('on a Redis Cluster of its own', () => {
  describeStoreConformance('Redis Cluster', source);
  describeStatusConformance('Redis Cluster', source);
  describeCallbackLane('Redis Cluster', source, { handsOver: true });
  describeRedisSettle(
    'Redis Cluster',
    clusterSettleTarget(() => cluster),
  );
});
