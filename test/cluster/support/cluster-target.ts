import ioredis from 'ioredis';
import { RedisStore } from '../../../lib/store/redis/redis.store.js';
import type { SettleTarget } from '../../store/redis-settle-conformance.js';
import { Redis } from '../../support/redis.js';
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

/** The atomic-settle target on the test cluster: a hash-tagged prefix, a Cluster client, its slot's master. */
export function clusterSettleTarget(cluster: () => RedisClusterFixture): () => SettleTarget {
  return () => {
    const prefix = clusterPrefix('rqsettle');
    return {
      prefix,
      async open(leaseMs) {
        const store = new RedisStore({ cluster: { nodes: cluster().seeds }, prefix, lockDuration: leaseMs });
        await store.init();
        return store;
      },
      // A Cluster serves the same commands; the tests use it as one Redis.
      client: () => new ioredis.Cluster(cluster().seeds) as unknown as Redis,
      async node() {
        const master = await cluster().masterOf(await cluster().keySlot(`${prefix}:any`));
        if (!master) throw new Error(`no live master serves ${prefix}`);
        return new Redis({ host: '127.0.0.1', port: master.port, maxRetriesPerRequest: 1 });
      },
      drop: () => deleteClusterPrefix(cluster(), prefix),
    };
  };
}
