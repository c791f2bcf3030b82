import { randomBytes } from 'node:crypto';
import { deleteRedisPrefix } from '../../support/redis.js';
import pg from 'pg';

/** A store of the test's own for one app: what the app's configuration reads, and cleanup. */
export interface AppStore {
  readonly description: string;
  /** Environment variables the app's `request-queue.config.ts` reads to reach this store. */
  readonly env: Record<string, string>;
  /** The request queue's tables (database driver), to check what `migrate` created. */
  tables(): Promise<string[]>;
  remove(): Promise<void>;
}

const REDIS_URL = 'redis://127.0.0.1:6379';
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/** Redis under a key prefix of this run's own (REQUEST_QUEUE_REDIS_PREFIX, which the README's configuration maps). */
export async function redisPrefix(): Promise<AppStore> {
  const prefix = `rq-consumer-${randomBytes(4).toString('hex')}`;
  return {
    description: `Redis ${REDIS_URL}, prefix ${prefix}`,
    env: { REDIS_URL, REQUEST_QUEUE_REDIS_PREFIX: prefix },
    tables: async () => [],
    async remove() {
      await deleteRedisPrefix(REDIS_URL, prefix);
    },
  };
}

/** A PostgreSQL database of this run's own, created empty and dropped afterwards. */
export async function postgresDatabase(): Promise<AppStore> {
  const name = `rq_consumer_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ ...POSTGRES, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    description: `PostgreSQL database ${name}`,
    env: { DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${name}` },
    async tables() {
      const client = new pg.Client({ ...POSTGRES, database: name });
      await client.connect();
      try {
        const { rows } = await client.query<{ t: string }>(
          `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
        );
        return rows.map((r) => r.t);
      } finally {
        await client.end();
      }
    },
    async remove() {
      const client = new pg.Client({ ...POSTGRES, database: 'postgres' });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
