import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestQueueModuleOptions } from '../../lib/index.js';

import { Redis } from './redis.js';

/** What one store holds, counted the same way whatever the driver. */
export interface StoreCount {
  /** Everything stored: keys (Redis) or rows (SQL), claims included. */
  entries: number;
  /** Queued or failed jobs. */
  jobs: number;
}

/** One live store for a test: module options that point at it, and raw access to what it holds. */
export interface StoreHarness {
  readonly name: string;
  /** `driver` and connection options, with a prefix or database of this harness's own. */
  readonly options: RequestQueueModuleOptions;
  count(): Promise<StoreCount>;
  /** Every stored key and value (or table row), as text, for at-rest scans. */
  dump(): Promise<string>;
  /** Rewrites the payload of every stored job (queued or failed) with `fn`: for tampering tests. */
  rewriteJobs(fn: (payload: Record<string, unknown>) => Record<string, unknown>): Promise<number>;
  /** Removes everything this harness created (keys, database, file) and closes connections. */
  cleanup(): Promise<void>;
}

export interface StoreKind {
  readonly name: string;
  /** Null when usable; otherwise why the tests for this store are skipped. */
  unavailable(): Promise<string | null>;
  create(): Promise<StoreHarness>;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MYSQL_URL = process.env.SECURITY_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const POSTGRES_URL = process.env.SECURITY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

const unique = (label: string) => `rqsec_${label}_${randomBytes(4).toString('hex')}`;

async function redisDump(redis: Redis, prefix: string): Promise<{ keys: string[]; text: string }> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const parts: string[] = [];
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = await redis.smembers(key);
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'stream') value = await redis.xrange(key, '-', '+');
    else value = `<${type}>`;
    parts.push(`${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return { keys, text: parts.join('\n') };
}

export const redisStore: StoreKind = {
  name: 'redis',
  async unavailable() {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      await redis.connect();
      await redis.ping();
      return null;
    } catch (err) {
      return `Redis at ${REDIS_URL} is not reachable: ${(err as Error).message}`;
    } finally {
      redis.disconnect();
    }
  },
  async create() {
    const prefix = unique('redis');
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const jobKey = new RegExp(`^${prefix}:[^:]+:\\d+$`);
    return {
      name: 'redis',
      options: { driver: 'redis', redis: { url: REDIS_URL, prefix } },
      async count() {
        const { keys } = await redisDump(redis, prefix);
        return { entries: keys.length, jobs: keys.filter((k) => jobKey.test(k)).length };
      },
      async dump() {
        return (await redisDump(redis, prefix)).text;
      },
      async rewriteJobs(fn) {
        const { keys } = await redisDump(redis, prefix);
        let n = 0;
        for (const key of keys.filter((k) => jobKey.test(k))) {
          const data = await redis.hget(key, 'data');
          if (data === null) continue;
          await redis.hset(key, 'data', JSON.stringify(fn(JSON.parse(data) as Record<string, unknown>)));
          n++;
        }
        return n;
      },
      async cleanup() {
        const { keys } = await redisDump(redis, prefix);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      },
    };
  },
};

/** Tables of the request queue's own bookkeeping that are not user data (migration history). */
const isBookkeeping = (table: string) => /migration/i.test(table);
const JOB_TABLES = new Set(['jobs', 'failed_jobs']);

/** `payload` columns hold the job payload as JSON. */
function rewritePayload(raw: unknown, fn: (payload: Record<string, unknown>) => Record<string, unknown>): string {
  return JSON.stringify(fn(JSON.parse(String(raw)) as Record<string, unknown>));
}

/** True once the database driver exists in this tree and a SQLite store starts. */
async function databaseDriverUnavailable(): Promise<string | null> {
  if (!existsSync(new URL('../../lib/store/database/database.store.ts', import.meta.url))) {
    return 'the database driver (lib/store/database/database.store.ts) does not exist yet';
  }
  const dir = mkdtempSync(join(tmpdir(), 'rqsec-probe-'));
  try {
    const { resolveOptions, createStore } = await import('../../lib/index.js');
    const store = await createStore(
      resolveOptions({
        driver: 'database',
        database: { url: `sqlite:${join(dir, 'probe.sqlite')}`, migrationsRun: true },
      }),
    );
    await store.close();
    return null;
  } catch (err) {
    return `the database driver does not start yet: ${(err as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const mariadbStore: StoreKind = {
  name: 'mariadb',
  async unavailable() {
    const driver = await databaseDriverUnavailable();
    if (driver) return driver;
    const mysql = await import('mysql2/promise');
    try {
      const conn = await mysql.createConnection(MYSQL_URL);
      await conn.end();
      return null;
    } catch (err) {
      return `MariaDB at ${MYSQL_URL} is not reachable: ${(err as Error).message}`;
    }
  },
  async create() {
    const mysql = await import('mysql2/promise');
    const db = unique('maria');
    const conn = await mysql.createConnection(MYSQL_URL);
    await conn.query(`CREATE DATABASE \`${db}\``);
    await conn.query(`USE \`${db}\``);
    const tables = async () => {
      const [rows] = await conn.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [
        db,
      ]);
      return (rows as { t: string }[]).map((r) => r.t).filter((t) => !isBookkeeping(t));
    };
    const rows = async (table: string) =>
      (await conn.query(`SELECT * FROM \`${table}\``))[0] as Record<string, unknown>[];
    return {
      name: 'mariadb',
      options: { driver: 'database', database: { url: `${MYSQL_URL}/${db}`, migrationsRun: true } },
      async count() {
        let entries = 0;
        let jobs = 0;
        for (const t of await tables()) {
          const n = (await rows(t)).length;
          entries += n;
          if (JOB_TABLES.has(t)) jobs += n;
        }
        return { entries, jobs };
      },
      async dump() {
        const parts: string[] = [];
        for (const t of await tables())
          for (const row of await rows(t))
            parts.push(`${t} ${JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
        return parts.join('\n');
      },
      async rewriteJobs(fn) {
        let n = 0;
        for (const table of ['jobs', 'failed_jobs']) {
          for (const row of await rows(table)) {
            await conn.query(`UPDATE \`${table}\` SET payload = ? WHERE id = ?`, [
              rewritePayload(row.payload, fn),
              row.id,
            ]);
            n++;
          }
        }
        return n;
      },
      async cleanup() {
        await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
        await conn.end();
      },
    };
  },
};

export const postgresStore: StoreKind = {
  name: 'postgres',
  async unavailable() {
    const driver = await databaseDriverUnavailable();
    if (driver) return driver;
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres`, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      return null;
    } catch (err) {
      return `PostgreSQL at ${POSTGRES_URL} is not reachable: ${(err as Error).message}`;
    } finally {
      await client.end().catch(() => {});
    }
  },
  async create() {
    const { default: pg } = await import('pg');
    const db = unique('pg');
    const admin = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    const conn = new pg.Client({ connectionString: `${POSTGRES_URL}/${db}` });
    await conn.connect();
    const tables = async () =>
      (
        await conn.query<{ t: string }>(
          "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'",
        )
      ).rows
        .map((r) => r.t)
        .filter((t) => !isBookkeeping(t));
    const rows = async (table: string) =>
      (await conn.query(`SELECT * FROM "${table.replace(/"/g, '""')}"`)).rows as Record<string, unknown>[];
    return {
      name: 'postgres',
      options: { driver: 'database', database: { url: `${POSTGRES_URL}/${db}`, migrationsRun: true } },
      async count() {
        let entries = 0;
        let jobs = 0;
        for (const t of await tables()) {
          const n = (await rows(t)).length;
          entries += n;
          if (JOB_TABLES.has(t)) jobs += n;
        }
        return { entries, jobs };
      },
      async dump() {
        const parts: string[] = [];
        for (const t of await tables()) for (const row of await rows(t)) parts.push(`${t} ${JSON.stringify(row)}`);
        return parts.join('\n');
      },
      async rewriteJobs(fn) {
        let n = 0;
        for (const table of ['jobs', 'failed_jobs']) {
          for (const row of await rows(table)) {
            await conn.query(`UPDATE ${table} SET payload = $1 WHERE id = $2`, [
              rewritePayload(row.payload, fn),
              row.id,
            ]);
            n++;
          }
        }
        return n;
      },
      async cleanup() {
        await conn.end();
        await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await admin.end();
      },
    };
  },
};

export const sqliteStore: StoreKind = {
  name: 'sqlite',
  unavailable: databaseDriverUnavailable,
  async create() {
    const { default: Database } = await import('better-sqlite3');
    const dir = mkdtempSync(join(tmpdir(), 'rqsec-sqlite-'));
    const file = join(dir, 'queue.sqlite');
    let db: InstanceType<typeof Database> | undefined;
    // Opened lazily: the app creates the file and its tables first.
    const open = () => (db ??= new Database(file, { readonly: true, fileMustExist: true }));
    const tables = () =>
      (
        open().prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
          name: string;
        }[]
      )
        .map((r) => r.name)
        .filter((t) => !isBookkeeping(t));
    const rows = (table: string) =>
      open()
        .prepare(`SELECT * FROM "${table.replace(/"/g, '""')}"`)
        .all() as Record<string, unknown>[];
    return {
      name: 'sqlite',
      options: { driver: 'database', database: { url: `sqlite:${file}`, migrationsRun: true } },
      async count() {
        let entries = 0;
        let jobs = 0;
        for (const t of tables()) {
          const n = rows(t).length;
          entries += n;
          if (JOB_TABLES.has(t)) jobs += n;
        }
        return { entries, jobs };
      },
      async dump() {
        return tables()
          .flatMap((t) =>
            rows(t).map(
              (row) => `${t} ${JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
            ),
          )
          .join('\n');
      },
      async rewriteJobs(fn) {
        const writer = new Database(file, { fileMustExist: true });
        try {
          let n = 0;
          for (const table of ['jobs', 'failed_jobs']) {
            for (const row of writer.prepare(`SELECT id, payload FROM ${table}`).all() as {
              id: number;
              payload: string;
            }[]) {
              writer
                .prepare(`UPDATE ${table} SET payload = ? WHERE id = ?`)
                .run(rewritePayload(row.payload, fn), row.id);
              n++;
            }
          }
          return n;
        } finally {
          writer.close();
        }
      },
      async cleanup() {
        db?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const STORE_KINDS: readonly StoreKind[] = [redisStore, mariadbStore, postgresStore, sqliteStore];

/**
 * Each store kind with the reason it is skipped, if it is (checked once, at collection).
 * Under CI nothing is skipped: `.ci/run` starts every server, so a missing one must fail.
 */
export async function storeMatrix(): Promise<{ kind: StoreKind; skip: string | null }[]> {
  const out: { kind: StoreKind; skip: string | null }[] = [];
  for (const kind of STORE_KINDS) {
    const skip = process.env.CI ? null : await kind.unavailable();
    if (skip) console.warn(`[tests] skipping the ${kind.name} store: ${skip}`);
    out.push({ kind, skip });
  }
  return out;
}
