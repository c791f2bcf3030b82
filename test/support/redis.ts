import ioredis from 'ioredis';

/**
 * ioredis's client class. Not `import { Redis }`, which needs ioredis 5.3.0:
 * `npm run test:compat` runs the suites on 5.0.4.
 */
export const Redis = ioredis.default;
export type Redis = InstanceType<typeof Redis>;

/** Deletes every key under `<prefix>:` (a test's own Bull prefix on the shared Redis). */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
