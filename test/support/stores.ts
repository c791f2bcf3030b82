import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestQueueModuleOptions, RequestQueueStore } from '../../lib/index.js';
import { openStore, storeEnv, type StoreSettings } from './open-store.js';
import { deleteRedisPrefix, Redis, scanKeys } from './redis.js';
import { sqlHarness } from './sql-harness.js';
import {
  heldMysqlConnection,
  heldPgConnection,
  mysqlAdmin,
  MYSQL_URL,
  pgAdmin,
  POSTGRES_URL,
  REDIS_URL,
  uniqueName,
} from './store-servers.js';

export type { StoreSettings } from './open-store.js';

/**
 * The one vocabulary of the tests for "a store under test":
 * - `StoreKind`: one of the four stores (Redis, MariaDB, PostgreSQL, SQLite); `STORE_KINDS`
 *   lists them, `storeMatrix()` says which to skip (never under CI).
 * - `StoreHarness`: storage of one test file's own on that store (a Redis key prefix, a
 *   database, an SQLite file), with module options and environment that reach it, stores
 *   opened on it directly, and raw access to what it holds.
 * - `StoreSpace`/`StoreSource`: the part of those the store-contract suites need, which the
 *   in-memory store and a Redis Cluster offer too.
 */

/** What one store holds, counted the same way whatever the driver. */
export interface StoreCount {
  /** Everything stored: keys (Redis) or rows (SQL), claims included. */
  entries: number;
  /** Queued or failed jobs. */
  jobs: number;
}

/** Storage of a test's own that stores open on. */
export interface StoreSpace {
  /** A store on this storage with a lease of `leaseMs`; each call is another "process" over the same data. */
  open(settings: StoreSettings): Promise<RequestQueueStore>;
  /** The SQL stores: runs one statement (`?` placeholders) on the database, from outside the store. */
  exec?(sql: string, params?: readonly unknown[]): Promise<void>;
  /** The SQL servers: the database's name. */
  readonly database?: string;
  /** Removes everything this storage holds (keys, database, file) and closes connections. */
  cleanup(): Promise<void>;
}

/** One live store for a test: module options that point at it, and raw access to what it holds. */
export interface StoreHarness extends StoreSpace {
  readonly name: string;
  /** `driver` and connection options (tables created on first use), with a prefix or database of this harness's own. */
  readonly options: RequestQueueModuleOptions;
  /** The same, as the environment variables the `request-queue` command and workers read. */
  readonly env: Record<string, string>;
  count(): Promise<StoreCount>;
  /** Every stored key and value (or table row), as text, for at-rest scans. */
  dump(): Promise<string>;
  /** Rewrites the payload of every stored job (queued or failed) with `fn`: for tampering tests. */
  rewriteJobs(fn: (payload: Record<string, unknown>) => Record<string, unknown>): Promise<number>;
}

/** Something storage is made from: a store kind, or a store with no server of its own to configure. */
export interface StoreSource {
  readonly name: string;
  create(): Promise<StoreSpace>;
}

export interface StoreKind extends StoreSource {
  readonly name: string;
  /** Null when usable; otherwise why the tests for this store are skipped. */
  unavailable(): Promise<string | null>;
  create(): Promise<StoreHarness>;
}

/** Every key under `prefix` with its value read by type, one line each. */
async function redisDump(redis: Redis, prefix: string): Promise<{ keys: string[]; text: string }> {
  const keys = await scanKeys(redis, `${prefix}:*`);
  const parts: string[] = [];
  for (const key of keys) {
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
    const prefix = uniqueName('rqtest');
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const jobKey = new RegExp(`^${prefix}:[^:]+:\\d+$`);
    const options: RequestQueueModuleOptions = { driver: 'redis', redis: { url: REDIS_URL, prefix } };
    return {
      name: 'redis',
      options,
      env: storeEnv(options),
      open: (settings) => openStore(options, settings),
      async count() {
        const keys = await scanKeys(redis, `${prefix}:*`); // names only: no value is read
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
        await redis.quit().catch(() => redis.disconnect());
        await deleteRedisPrefix(REDIS_URL, prefix);
      },
    };
  },
};

let driverProbe: Promise<string | null> | undefined;

/** Null once a database-driver store starts here (checked once per test file, on SQLite). */
function databaseDriverUnavailable(): Promise<string | null> {
  return (driverProbe ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rqtest-probe-'));
    try {
      const store = await openStore(
        { driver: 'database', database: { url: `sqlite:${join(dir, 'probe.sqlite')}`, migrationsRun: true } },
        { leaseMs: 5_000 },
      );
      await store.close();
      return null;
    } catch (err) {
      return `the database driver does not start: ${(err as Error).message}`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })());
}

export const mariadbStore: StoreKind = {
  name: 'mariadb',
  async unavailable() {
    const driver = await databaseDriverUnavailable();
    if (driver) return driver;
    try {
      await mysqlAdmin(async () => null);
      return null;
    } catch (err) {
      return `MariaDB at ${MYSQL_URL} is not reachable: ${(err as Error).message}`;
    }
  },
  async create() {
    const db = uniqueName('rq_test');
    await mysqlAdmin((conn) => conn.query(`CREATE DATABASE \`${db}\``));
    const held = heldMysqlConnection(db);
    const onDb = <T>(work: Parameters<typeof mysqlAdmin<T>>[0]) => held.use(work);
    return sqlHarness(
      'mariadb',
      `${MYSQL_URL}/${db}`,
      {
        tables: () =>
          onDb(async (conn) => {
            const [rows] = await conn.query(
              'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?',
              [db],
            );
            return (rows as { t: string }[]).map((r) => r.t);
          }),
        rows: (table) =>
          onDb(async (conn) => (await conn.query(`SELECT * FROM \`${table}\``))[0] as Record<string, unknown>[]),
        run: (sql, params) =>
          onDb(async (conn) => void (await conn.query(sql, [...params] as (string | number | null)[]))),
      },
      () =>
        held
          .close()
          .then(() => mysqlAdmin((conn) => conn.query(`DROP DATABASE IF EXISTS \`${db}\``)))
          .then(() => {}),
      db,
    );
  },
};

export const postgresStore: StoreKind = {
  name: 'postgres',
  async unavailable() {
    const driver = await databaseDriverUnavailable();
    if (driver) return driver;
    try {
      await pgAdmin(async () => null);
      return null;
    } catch (err) {
      return `PostgreSQL at ${POSTGRES_URL} is not reachable: ${(err as Error).message}`;
    }
  },
  async create() {
    const db = uniqueName('rq_test');
    await pgAdmin((conn) => conn.query(`CREATE DATABASE ${db}`));
    /** `?` placeholders as PostgreSQL's `$1`, `$2`, … */
    const numbered = (sql: string) => {
      let n = 0;
      return sql.replace(/\?/g, () => `$${++n}`);
    };
    const held = heldPgConnection(db);
    return sqlHarness(
      'postgres',
      `${POSTGRES_URL}/${db}`,
      {
        tables: () =>
          held.use(async (conn) =>
            (
              await conn.query<{ t: string }>(
                "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'",
              )
            ).rows.map((r) => r.t),
          ),
        rows: (table) =>
          held.use(
            async (conn) =>
              (await conn.query(`SELECT * FROM "${table.replace(/"/g, '""')}"`)).rows as Record<string, unknown>[],
          ),
        run: (sql, params) => held.use(async (conn) => void (await conn.query(numbered(sql), [...params]))),
      },
      () =>
        held
          .close()
          .then(() => pgAdmin((conn) => conn.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)))
          .then(() => {}),
      db,
    );
  },
};

export const sqliteStore: StoreKind = {
  name: 'sqlite',
  unavailable: databaseDriverUnavailable,
  async create() {
    const { default: Database } = await import('better-sqlite3');
    const dir = mkdtempSync(join(tmpdir(), 'rqtest-sqlite-'));
    const file = join(dir, 'queue.sqlite');
    /** A connection of its own for `work` (the app creates the file and its tables first). */
    const onFile = <T>(readonly: boolean, work: (db: InstanceType<typeof Database>) => T): T => {
      const db = new Database(file, { readonly, fileMustExist: true, timeout: 5000 });
      try {
        return work(db);
      } finally {
        db.close();
      }
    };
    return sqlHarness(
      'sqlite',
      `sqlite:${file}`,
      {
        tables: async () =>
          onFile(true, (db) =>
            (
              db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
                name: string;
              }[]
            ).map((r) => r.name),
          ),
        rows: async (table) =>
          onFile(
            true,
            (db) => db.prepare(`SELECT * FROM "${table.replace(/"/g, '""')}"`).all() as Record<string, unknown>[],
          ),
        run: async (sql, params) => onFile(false, (db) => void db.prepare(sql).run(...params)),
      },
      async () => rmSync(dir, { recursive: true, force: true }),
    );
  },
};

export const STORE_KINDS: readonly StoreKind[] = [redisStore, mariadbStore, postgresStore, sqliteStore];

/**
 * Each store kind with the reason it is skipped, if it is (checked once, at collection).
 * Under CI nothing is skipped: `.ci/run` starts every server, so a missing one must fail.
 */
export async function storeMatrix(
  kinds: readonly StoreKind[] = STORE_KINDS,
): Promise<{ kind: StoreKind; skip: string | null }[]> {
  const out: { kind: StoreKind; skip: string | null }[] = [];
  for (const kind of kinds) {
    const skip = process.env.CI ? null : await kind.unavailable();
    if (skip) console.warn(`[tests] skipping the ${kind.name} store: ${skip}`);
    out.push({ kind, skip });
  }
  return out;
}
