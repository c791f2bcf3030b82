import type { RequestQueueModuleOptions, RequestQueueStore } from '../../lib/index.js';

/** Settings a store-level test opens a store with. */
export interface StoreSettings {
  /** The lease: how long until a job whose worker vanished runs again, ms. */
  leaseMs: number;
}

/** Longest attempt the database stores are told about (their lease must exceed it). */
const LONGEST_ATTEMPT_MS = 200;

/**
 * A store on what `options` point at, opened directly (no module, no runtime) with a lease
 * of `leaseMs` (Redis: `lockDuration`; database: `retryAfter`, polling every 50 ms). Each
 * call is another "process" over the same data.
 */
export async function openStore(
  options: RequestQueueModuleOptions,
  { leaseMs }: StoreSettings,
): Promise<RequestQueueStore> {
  if (options.driver === 'database') {
    const { DatabaseStore } = await import('../../lib/store/database/database.store.js');
    const { resolveDatabaseOptions } = await import('../../lib/store/database/database-store.options.js');
    const store = new DatabaseStore(
      resolveDatabaseOptions({ sleep: 50, ...options.database, retryAfter: leaseMs }, LONGEST_ATTEMPT_MS, true),
    );
    await store.init();
    return store;
  }
  const { RedisStore } = await import('../../lib/store/redis/redis.store.js');
  const store = new RedisStore({ ...options.redis, lockDuration: leaseMs });
  await store.init();
  return store;
}

/** `options` with a lease of `ms` (Redis: `lockDuration`; database: `retryAfter`), for runtimes. */
export function withLease(options: RequestQueueModuleOptions, ms: number): RequestQueueModuleOptions {
  return options.driver === 'database'
    ? { ...options, database: { ...options.database, retryAfter: ms } }
    : { ...options, redis: { ...options.redis, lockDuration: ms } };
}

/** The environment the `request-queue` command and workers read to reach the same store as `options`. */
export function storeEnv(options: RequestQueueModuleOptions): Record<string, string> {
  const env: Record<string, string> = { REQUEST_QUEUE_DRIVER: options.driver ?? 'redis' };
  if (options.redis?.url) env.REDIS_URL = options.redis.url;
  if (options.redis?.prefix) env.REQUEST_QUEUE_REDIS_PREFIX = options.redis.prefix;
  if (options.database?.url) env.DATABASE_URL = options.database.url;
  return env;
}
