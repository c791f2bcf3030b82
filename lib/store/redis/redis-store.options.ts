import type { RedisOptions } from 'ioredis';

export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL; `options` are merged over what it says. */
  url?: string;
  /** ioredis options (host, port, password, tls, …). */
  options?: RedisOptions;
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
}
