/**
 * Drain rate of the database driver: N jobs stored beforehand, run through a no-op handler
 * (completing each with a sealed status, as real workers do) until the queue is empty, against
 * - a raw mysql2 loop of Laravel's DatabaseQueue statements on the same table (one job per
 *   `BEGIN; SELECT … FOR UPDATE SKIP LOCKED; UPDATE; COMMIT; DELETE`), as one worker and as
 *   as many workers as the driver's concurrency, and
 * - the redis driver, same handler and concurrency.
 * Also the database driver on PostgreSQL and SQLite, for reference.
 *
 *   npm run bench:db                      # 3000 jobs, concurrency 10
 *   BENCH_JOBS=5000 BENCH_CONCURRENCY=20 npm run bench:db
 *
 * Needs the local MariaDB (root, no password), PostgreSQL (postgres, trust) and Redis; it
 * creates and drops databases and keys of its own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { JobPayload } from '../lib/core/job.js';
import { DatabaseStore } from '../lib/store/database/database.store.js';
import { resolveDatabaseOptions } from '../lib/store/database/database-store.options.js';
import { RedisStore } from '../lib/store/redis/redis.store.js';
import type { RequestQueueStore } from '../lib/store/request-queue.store.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const QUEUE = 'api:request';
const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' };
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const REDIS_URL = 'redis://127.0.0.1:6379';
/**
 * What a real worker's result carries on complete/fail: the outcome sealed for the status
 * resource (about the size of a sealed small response), kept a day (the default statusTtl).
 */
const STATUS = { result: randomBytes(300).toString('base64url'), keepMs: 24 * 60 * 60 * 1000 };

function payload(i: number): JobPayload {
  return {
    v: 1,
    kind: 'replay',
    correlationId: randomUUID(),
    method: 'PUT',
    path: `/user/${i}`,
    callbackUrl: 'https://receiver.example/callback',
    queuedAt: Date.now(),
    tries: 3,
    backoff: { type: 'exponential', delay: 1000 },
    timeout: 30_000,
    sealed: randomBytes(300).toString('base64url'), // about the size of a sealed small request
  };
}

/** Inserts N rows into `jobs` with one multi-row statement per 500 (the same rows for every contender). */
async function fillJobs(
  insert: (sql: string, params: unknown[]) => Promise<unknown>,
  placeholders: (n: number) => string,
): Promise<void> {
  const now = Date.now();
  for (let start = 0; start < JOBS; start += 500) {
    const count = Math.min(500, JOBS - start);
    const params: unknown[] = [];
    for (let i = 0; i < count; i++) params.push(QUEUE, JSON.stringify(payload(start + i)), now, now);
    await insert(
      `INSERT INTO jobs (queue, payload, attempts, reserved_at, available_at, created_at) VALUES ${placeholders(count)}`,
      params,
    );
  }
}

const rowsOf = (n: number, number: (i: number) => string) =>
  Array.from(
    { length: n },
    (_, r) => `(${number(r * 4 + 1)}, ${number(r * 4 + 2)}, 0, NULL, ${number(r * 4 + 3)}, ${number(r * 4 + 4)})`,
  ).join(', ');

/** Runs the store's consumer with a no-op handler until every queue is empty; jobs per second. */
async function drain(store: RequestQueueStore): Promise<number> {
  let handled = 0;
  const started = process.hrtime.bigint();
  const consumer = await store.consume(
    { queues: [QUEUE], concurrency: CONCURRENCY, stopWhenEmpty: true, idleMs: 50 },
    async () => {
      handled++;
      return { type: 'complete', status: STATUS };
    },
  );
  await consumer.finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (handled !== JOBS) throw new Error(`drained ${handled} jobs, expected ${JOBS}`);
  return JOBS / seconds;
}

function databaseStore(options: Parameters<typeof resolveDatabaseOptions>[0]): DatabaseStore {
  return new DatabaseStore(resolveDatabaseOptions({ migrationsRun: true, ...options }, 30_000, true));
}

async function mariadbDriver(database: string): Promise<number> {
  const store = databaseStore({
    options: { type: 'mariadb', host: MARIADB.host, port: MARIADB.port, username: MARIADB.user, database },
  });
  await store.init();
  const admin = await mysql.createConnection({ ...MARIADB, database });
  try {
    await fillJobs(
      (sql, params) => admin.query(sql, params),
      (n) => rowsOf(n, () => '?'),
    );
    return await drain(store);
  } finally {
    await admin.end();
    await store.close();
  }
}

/** Laravel's DatabaseQueue::pop + delete, statement for statement, on `workers` connections. */
async function rawLaravelLoop(database: string, workers: number): Promise<number> {
  const setup = await mysql.createConnection({ ...MARIADB, database });
  await fillJobs(
    (sql, params) => setup.query(sql, params),
    (n) => rowsOf(n, () => '?'),
  );
  await setup.end();
  const connections = await Promise.all(
    Array.from({ length: workers }, () => mysql.createConnection({ ...MARIADB, database })),
  );
  let handled = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    connections.map(async (db) => {
      for (;;) {
        const now = Math.floor(Date.now());
        await db.query('START TRANSACTION');
        const [rows] = await db.query(
          'SELECT * FROM jobs WHERE queue = ? AND ((reserved_at IS NULL AND available_at <= ?) OR (reserved_at <= ?)) ' +
            'ORDER BY id ASC LIMIT 1 FOR UPDATE SKIP LOCKED',
          [QUEUE, now, now - 90_000],
        );
        const job = (rows as { id: number; payload: string }[])[0];
        if (!job) {
          await db.query('COMMIT');
          return;
        }
        await db.query('UPDATE jobs SET reserved_at = ?, attempts = attempts + 1 WHERE id = ?', [now, job.id]);
        await db.query('COMMIT');
        JSON.parse(job.payload); // the worker reads the job
        handled++;
        await db.query('DELETE FROM jobs WHERE id = ?', [job.id]);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(connections.map((c) => c.end()));
  if (handled !== JOBS) throw new Error(`raw loop drained ${handled} jobs, expected ${JOBS}`);
  return JOBS / seconds;
}

async function postgresDriver(database: string): Promise<number> {
  const store = databaseStore({
    options: { type: 'postgres', host: POSTGRES.host, port: POSTGRES.port, username: POSTGRES.user, database },
  });
  await store.init();
  const admin = new pg.Client({ ...POSTGRES, database });
  await admin.connect();
  try {
    await fillJobs(
      (sql, params) => admin.query(sql, params),
      (n) => rowsOf(n, (i) => `$${i}`),
    );
    return await drain(store);
  } finally {
    await admin.end();
    await store.close();
  }
}

async function sqliteDriver(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'rq-bench-'));
  const file = join(dir, 'queue.sqlite');
  try {
    const filler = databaseStore({ url: `sqlite:${file}` });
    await filler.init();
    await filler.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file);
    await fillJobs(
      async (sql, params) => db.prepare(sql).run(...params),
      (n) => rowsOf(n, () => '?'),
    );
    db.close();
    const store = databaseStore({ url: `sqlite:${file}` });
    await store.init();
    try {
      return await drain(store);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function redisDriver(): Promise<number> {
  const prefix = `rqbench${randomBytes(4).toString('hex')}`;
  const store = new RedisStore({ url: REDIS_URL, prefix });
  await store.init();
  try {
    for (let start = 0; start < JOBS; start += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, JOBS - start) }, (_, i) => {
          const job = payload(start + i);
          return store.enqueue({ queue: QUEUE, payload: job, delayMs: 0 }, job.correlationId, 60_000);
        }),
      );
    }
    return await drain(store);
  } finally {
    await store.close();
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
}

async function withDatabase<T>(kind: 'mariadb' | 'postgres', work: (database: string) => Promise<T>): Promise<T> {
  const database = `rq_bench_${randomBytes(4).toString('hex')}`;
  if (kind === 'mariadb') {
    const admin = await mysql.createConnection(MARIADB);
    await admin.query(`CREATE DATABASE ${database}`);
    try {
      return await work(database);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    }
  }
  const admin = new pg.Client({ ...POSTGRES, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    return await work(database);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  console.log(`drain ${JOBS} pre-stored jobs, no-op handler, concurrency ${CONCURRENCY}`);
  const rate = (n: number) => `${n.toFixed(0).padStart(6)} jobs/s`;
  const results: Record<string, number> = {};
  const run = async (name: string, bench: () => Promise<number>) => {
    results[name] = await bench();
    console.log(`  ${name.padEnd(44)} ${rate(results[name])}`);
  };
  await withDatabase('mariadb', async (database) => {
    await run('database driver, MariaDB', () => mariadbDriver(database));
    await run('raw mysql2 Laravel loop, 1 worker', () => rawLaravelLoop(database, 1));
    await run(`raw mysql2 Laravel loop, ${CONCURRENCY} workers`, () => rawLaravelLoop(database, CONCURRENCY));
  });
  await run('redis driver', redisDriver);
  await withDatabase('postgres', (database) => run('database driver, PostgreSQL', () => postgresDriver(database)));
  await run('database driver, SQLite', sqliteDriver);

  const db = results['database driver, MariaDB']!;
  console.log('ratios (database driver on MariaDB ÷ …)');
  console.log(`  raw Laravel loop, 1 worker:  ${(db / results['raw mysql2 Laravel loop, 1 worker']!).toFixed(2)}×`);
  console.log(
    `  raw Laravel loop, ${CONCURRENCY} workers: ${(db / results[`raw mysql2 Laravel loop, ${CONCURRENCY} workers`]!).toFixed(2)}×`,
  );
  console.log(`  redis driver:                ${(db / results['redis driver']!).toFixed(2)}×`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
