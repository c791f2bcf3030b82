import ioredis from 'ioredis';

/**
 * ioredis's client class. Not `import { Redis }`, which needs ioredis 5.3.0:
 * `npm run test:compat` runs the suites on 5.0.4.
 */
export const Redis = ioredis.default;
export type Redis = InstanceType<typeof Redis>;

/** Every key matching `pattern` (SCAN, never KEYS: the Redis is shared), sorted. */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return [...new Set(keys)].sort();
}

/** Deletes every key under `<prefix>:` (a test's own Bull prefix on the shared Redis). */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const keys = await scanKeys(redis, `${prefix}:*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
