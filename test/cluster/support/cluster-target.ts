import { RedisStore } from '../../../lib/store/redis/redis.store.js';
import { uniqueName } from '../../support/store-servers.js';
import type { StoreSource } from '../../support/stores.js';
import { deleteClusterPrefix, type RedisClusterFixture } from './redis-cluster.js';

/** A hash-tagged prefix of its own: every key of one test file in one slot. */
export function clusterPrefix(label = 'rqtest'): string {
  return `{${uniqueName(label)}}`;
}

/** The store-contract suites' storage on the test cluster, under a hash-tagged prefix of its own. */
export function clusterStore(cluster: () => RedisClusterFixture): StoreSource {
  return {
    name: 'redis-cluster',
    create: async () => {
      const prefix = clusterPrefix();
      return {
        async open({ leaseMs }) {
          const store = new RedisStore({ cluster: { nodes: cluster().seeds }, prefix, lockDuration: leaseMs });
          await store.init();
          return store;
        },
        async cleanup() {
          await deleteClusterPrefix(cluster(), prefix);
        },
      };
    },
  };
}
