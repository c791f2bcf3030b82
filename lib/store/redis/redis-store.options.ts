import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import { RequestQueueConfigError } from '../../core/errors.js';
import { hashTag } from './key-slot.js';

export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL; `options` are merged over what it says. Not with `cluster`. */
  url?: string;
  /** ioredis options (host, port, password, tls, …); with `cluster`, those of each node's connection. */
  options?: RedisOptions;
  /**
   * Connect to a Redis Cluster instead of one Redis (docs/redis-cluster.md). `prefix` must
   * then carry a hash tag (`{rq}`), so that all of a deployment's keys share one slot.
   */
  cluster?: RedisClusterOptions;
  /** Key prefix, as Bull's `prefix` [`bull`]. Use a hash tag (`{rq}`) on Redis Cluster. */
  prefix?: string;
  /** How long a claim or enqueue may wait on Redis before the request gets 503, in ms [2000]. */
  commandTimeout?: number;
  /**
   * The lease, in ms: a worker renews the lock of each job it runs every `lockDuration / 2`;
   * a job whose lock lapses (its worker crashed, or stopped past its grace period) is put
   * back to wait by the next stalled-job check, which runs every `lockDuration` [30 000].
   */
  lockDuration?: number;
  /**
   * After each enqueue, wait (Redis `WAIT`) until `replicas` replicas have the write, at most
   * `timeoutMs`; the request gets 503 if fewer acknowledged it (its job is stored all the same,
   * see docs/redis-cluster.md) [off: Redis replication is asynchronous, and a 202 answered
   * just before a master fails may be lost with it].
   */
  waitForReplicas?: { replicas: number; timeoutMs: number };
}

/** A Redis Cluster: where to start discovering it, and how to talk to it. */
export interface RedisClusterOptions {
  /** Some of its nodes, `{ host, port }` or `'host:port'`: the others are discovered. */
  nodes: ClusterNode[];
  /**
   * ioredis `ClusterOptions` (`maxRedirections`, `retryDelayOnFailover`, `natMap`, …) over the
   * store's own defaults; the store's connections still fail fast (no offline queue).
   */
  options?: ClusterOptions;
}

/**
 * Checks the redis driver's options (when `active`: it is the configured driver) and returns
 * them. On a cluster, every script touches the claim key, the status key and the queue's
 * keys at once: they must hash to one slot, so the prefix needs a hash tag.
 */
export function resolveRedisOptions(options: RedisStoreOptions, active: boolean): RedisStoreOptions {
  if (!active) return options;
  if (options.cluster) {
    if (options.url) {
      throw new RequestQueueConfigError('redis.url and redis.cluster are exclusive: give the cluster nodes only');
    }
    if (!Array.isArray(options.cluster.nodes) || options.cluster.nodes.length === 0) {
      throw new RequestQueueConfigError('redis.cluster.nodes must list at least one node (host:port)');
    }
    const prefix = options.prefix ?? 'bull';
    if (hashTag(prefix) === null) {
      throw new RequestQueueConfigError(
        `redis.prefix '${prefix}' has no hash tag, so on Redis Cluster the keys of one request would ` +
          `span slots (CROSSSLOT): use a prefix with a non-empty {…} tag, e.g. '{${prefix}}' ` +
          `(REQUEST_QUEUE_REDIS_PREFIX={${prefix}})`,
      );
    }
  }
  const wait = options.waitForReplicas;
  if (wait !== undefined) {
    const whole = (n: unknown, min: number) => Number.isInteger(n) && (n as number) >= min;
    if (!whole(wait.replicas, 1) || !whole(wait.timeoutMs, 1)) {
      throw new RequestQueueConfigError(
        'redis.waitForReplicas needs whole numbers: replicas >= 1 and timeoutMs >= 1 (e.g. { replicas: 1, timeoutMs: 50 })',
      );
    }
  }
  return options;
}
