import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStore,
  RequestQueueRuntime,
  resolveOptions,
  type RequestQueueModuleOptions,
  type RequestQueueStore,
} from '../../../lib/index.js';
import { deleteRedisPrefix } from '../../support/redis.js';
import { ROOT } from './build.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' };
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/** One store of this test file's own: options for in-process runtimes, env for spawned processes. */
export interface StoreFixture {
  driver: 'redis' | 'database';
  /** Module options reaching this store (in-process runtimes). */
  options: RequestQueueModuleOptions;
  /** The same, as the environment variables the CLI and the sample worker read. */
  env: Record<string, string>;
  /** Drops everything the fixture created. */
  remove(): Promise<void>;
}

export interface StoreFactory {
  name: string;
  /** Why this store cannot be tested here, or null. */
  unavailable: () => string | null;
  create(): Promise<StoreFixture>;
}

/** Redis, under a Bull prefix of this fixture's own (the Redis is shared with other tests). */
export const redisStore: StoreFactory = {
  name: 'redis',
  unavailable: () => null,
  async create() {
    const prefix = `rqcli-${randomUUID().slice(0, 8)}`;
    return {
      driver: 'redis',
      options: { driver: 'redis', redis: { url: REDIS_URL, prefix } },
      env: { REQUEST_QUEUE_DRIVER: 'redis', REDIS_URL, REQUEST_QUEUE_REDIS_PREFIX: prefix },
      async remove() {
        await deleteRedisPrefix(REDIS_URL, prefix);
      },
    };
  },
};

/**
 * A database-driver fixture on `url`: its tables created once, as an operator's `migrate`
 * would (the CLI and workers then open it as an operator would), removed by `remove`.
 */
async function databaseFixture(url: string, remove: () => Promise<void>): Promise<StoreFixture> {
  const setup = await createStore(resolveOptions({ driver: 'database', database: { url, migrationsRun: true } }));
  await setup.close();
  return {
    driver: 'database',
    options: { driver: 'database', database: { url } },
    env: { REQUEST_QUEUE_DRIVER: 'database', DATABASE_URL: url },
    remove,
  };
}

/** MariaDB, in a database of this fixture's own, created with the migrations and dropped after. */
export const mariadbStore: StoreFactory = {
  name: 'database (MariaDB)',
  unavailable: () =>
    existsSync(join(ROOT, 'lib/store/database/database.store.ts'))
      ? null
      : 'the database driver (lib/store/database) is not there yet',
  async create() {
    const { createConnection } = await import('mysql2/promise');
    const name = `rq_cli_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
    const admin = await createConnection(MARIADB);
    await admin.query(`CREATE DATABASE \`${name}\``);
    return databaseFixture(`mysql://root@127.0.0.1:3306/${name}`, async () => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await admin.end();
      }
    });
  },
};

/** Every store the command tests run against. */
export const STORE_FACTORIES: StoreFactory[] = [redisStore, mariadbStore];

/** PostgreSQL, in a database of this fixture's own (`status`/`list`/`stats` run on it too). */
export const postgresStore: StoreFactory = {
  name: 'database (PostgreSQL)',
  unavailable: mariadbStore.unavailable,
  async create() {
    const { default: pg } = await import('pg');
    const name = `rq_cli_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
    const admin = new pg.Client({ ...POSTGRES, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    return databaseFixture(`postgres://${POSTGRES.user}@${POSTGRES.host}:${POSTGRES.port}/${name}`, async () => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    });
  },
};

/** SQLite, a file in a folder of this fixture's own. */
export const sqliteStore: StoreFactory = {
  name: 'database (SQLite)',
  unavailable: mariadbStore.unavailable,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'rq-cli-sqlite-'));
    return databaseFixture(`sqlite:${join(dir, 'queue.sqlite')}`, async () => {
      rmSync(dir, { recursive: true, force: true });
    });
  },
};

export const SECRET = 'cli-test-secret-0123456789';
export const CALLBACK_TOKEN = 'cli-test-callback-token-0123';

/** The fixture's options with a lease of `ms` (Redis: `lockDuration`; database: `retryAfter`). */
export function withLease(fixture: StoreFixture, ms: number): RequestQueueModuleOptions {
  const o = fixture.options;
  return o.driver === 'redis'
    ? { ...o, redis: { ...o.redis, lockDuration: ms } }
    : { ...o, database: { ...o.database, retryAfter: ms } };
}

/**
 * A runtime as an API process has it (to queue requests) over the fixture's store, with
 * the given worker base URL and callback receiver port allowed.
 */
export async function apiRuntime(
  fixture: StoreFixture,
  baseUrl: string,
  receiverPort: number,
  extra: RequestQueueModuleOptions = fixture.options,
): Promise<RequestQueueRuntime> {
  const options = resolveOptions({
    ...extra,
    baseUrl,
    secret: SECRET,
    callback: { allowedHosts: [`127.0.0.1:${receiverPort}`], retryDelays: [100, 100], ...extra.callback },
  });
  const store: RequestQueueStore = await createStore(options);
  return new RequestQueueRuntime(options, store);
}

/** The environment a spawned `request-queue` or sample worker needs to reach the same store and app. */
export function processEnv(fixture: StoreFixture, baseUrl: string, receiverPort: number): Record<string, string> {
  return {
    ...fixture.env,
    REQUEST_QUEUE_BASE_URL: baseUrl,
    REQUEST_QUEUE_SECRET: SECRET,
    REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS: `127.0.0.1:${receiverPort}`,
  };
}
