import { RedisStore } from '../../../lib/store/redis/redis.store.js';
import { uniqueName, type StoreTarget } from '../../store/store-targets.js';
import { deleteClusterPrefix, type RedisClusterFixture } from './redis-cluster.js';

/** A hash-tagged prefix of its own: every key of one test file in one slot. */
export function clusterPrefix(label = 'rqtest'): string {
  return `{${uniqueName(label)}}`;
}

/** The store conformance target on the test cluster, under a hash-tagged prefix of its own. */
export function clusterTarget(cluster: () => RedisClusterFixture): () => StoreTarget {
  return () => {
    const prefix = clusterPrefix();
    return {
      async open({ leaseMs }) {
        const store = new RedisStore({ cluster: { nodes: cluster().seeds }, prefix, lockDuration: leaseMs });
        await store.init();
        return store;
      },
      async drop() {
        await deleteClusterPrefix(cluster(), prefix);
      },
    };
  };
}
