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
}
