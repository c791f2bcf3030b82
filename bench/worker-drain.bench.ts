/**
 * Worker drain rate against a naive worker (issue #14): BENCH_JOBS requests are accepted
 * through the API (a Nest app with a queued route, bench/pickup-app.ts, in a process of its
 * own), then drained by our worker (its own process: decrypt, replay against the API's route,
 * signed callback to a local receiver) until every callback arrived. Against it, in the same
 * run, on the same route and receiver, with the same concurrency, a naive worker as a Nest
 * user would write it by hand, doing the same two HTTP calls per job (the replay PUT, then
 * a callback POST signed with HMAC-SHA256):
 * - redis: a Bull queue and `queue.process(concurrency, …)`;
 * - mariadb: a table and one connection per concurrent job, each looping over
 *   `BEGIN; SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED; UPDATE (reserve); COMMIT`, the two
 *   calls, `DELETE`.
 * Each naive worker runs twice: its HTTP calls with Node's global `fetch` (what a hand-written
 * worker does, and the loop issue 14 compared against), then with undici's `request` on a
 * keep-alive pool (a tuned loop). The naive workers run in this process (with the receiver),
 * ours in a child process. Prints jobs per second and ours ÷ naive for each.
 *
 *   npm run bench:worker                                   # 2000 jobs, concurrency 10, redis and MariaDB
 *   BENCH_JOBS=500 BENCH_DRIVERS=mariadb npm run bench:worker
 *
 * Needs the local Redis and MariaDB (root, no password); uses a key prefix and a database
 * of its own and removes them.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Bull from 'bull';
import mysql from 'mysql2/promise';
import { Agent, request } from 'undici';
import type { RequestQueueModuleOptions } from '../lib/request-queue.options.js';
import { freePort } from '../test/support/free-port.js';
import { deleteRedisPrefix } from '../test/support/redis.js';
import { AppProcess } from './app-process.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const DRIVERS = (process.env.BENCH_DRIVERS ?? 'redis,mariadb').split(',');
const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' };
const REDIS_URL = 'redis://127.0.0.1:6379';
const TOKEN = 'bench-callback-token-0123';
const SIGNING_KEY = randomBytes(32);

/** The receiver: 204 for every callback, counting them; `until(n)` resolves at the n-th. */
interface Receiver {
  url: string;
  server: Server;
  /** Callbacks counted since the last `until`. */
  count(): number;
  until(n: number): Promise<void>;
}

async function receiver(): Promise<Receiver> {
  let count = 0;
  let target = Infinity;
  let reached: () => void = () => {};
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204).end();
      if (++count === target) reached();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    server,
    count: () => count,
    until: (n) => {
      count = 0;
      target = n;
      return new Promise((resolve) => (reached = resolve));
    },
  };
}

/** What a naive job holds: the request to replay and where to report. */
interface NaiveJob {
  id: string;
  body: Record<string, unknown>;
  callbackUrl: string;
}

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128 });

/**
 * How the naive worker makes its two HTTP calls: Node's global `fetch`, as a hand-written
 * Nest worker does (issue 14 measured "a naive Bull `process()` loop with two `fetch`
 * calls"), or undici's `request` on a keep-alive pool, a tuned loop (what our worker uses).
 */
type NaiveClient = 'fetch' | 'request';
const NAIVE_CLIENTS: NaiveClient[] = ['fetch', 'request'];

/** One HTTP call of the naive worker: status and body text. */
async function naiveCall(
  client: NaiveClient,
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  if (client === 'fetch') {
    const res = await fetch(url, { method, headers, body });
    return { status: res.status, text: await res.text() };
  }
  const res = await request(url, { method: method as 'PUT' | 'POST', headers, body, dispatcher: agent });
  return { status: res.statusCode, text: await res.body.text() };
}

/** The naive job's two HTTP calls: the replay, then the outcome POSTed with an HMAC signature. */
async function naiveWork(client: NaiveClient, api: string, job: NaiveJob): Promise<void> {
  const replay = await naiveCall(
    client,
    `${api}/items/${job.id}`,
    'PUT',
    { 'content-type': 'application/json' },
    JSON.stringify(job.body),
  );
  const outcome = JSON.stringify({ correlationId: job.id, status: replay.status, body: replay.text });
  const signature = createHmac('sha256', SIGNING_KEY).update(outcome).digest('base64');
  await naiveCall(
    client,
    job.callbackUrl,
    'POST',
    { 'content-type': 'application/json', 'x-signature': signature },
    outcome,
  );
}

const naiveJob = (callbackUrl: string): NaiveJob => ({
  id: randomUUID(),
  body: { name: 'bench', size: 'm' },
  callbackUrl,
});

/** Accepts JOBS requests through the API (8 at a time, within the database pool), each answered 202. */
async function acceptThroughApi(api: string, callbackUrl: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < JOBS) {
        next++;
        const id = randomUUID();
        const res = await request(`${api}/items/${id}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-correlation-id': id },
          body: JSON.stringify({ name: 'bench', size: 'm', _callback_url: callbackUrl, _callback_token: TOKEN }),
          dispatcher: agent,
        });
        const text = await res.body.text();
        if (res.statusCode !== 202) throw new Error(`expected 202, got ${res.statusCode}: ${text}`);
      }
    }),
  );
}

/**
 * Our worker, in a process of its own, drains the JOBS accepted through the API; jobs per
 * second from the moment it is ready (Nest's start-up is not counted; the few callbacks that
 * arrived before it said so are left out of the rate).
 */
async function ours(options: RequestQueueModuleOptions, api: string, callbacks: Receiver) {
  await acceptThroughApi(api, callbacks.url);
  const done = callbacks.until(JOBS);
  const worker = new AppProcess(
    ['worker', JSON.stringify({ ...options, worker: { enabled: true, concurrency: CONCURRENCY } })],
    { PICKUP_REPORT: '0' },
  );
  try {
    await worker.ready;
    const started = performance.now();
    const before = callbacks.count();
    await done;
    return (JOBS - before) / ((performance.now() - started) / 1000);
  } finally {
    await worker.stop();
  }
}

async function withApi<T>(options: RequestQueueModuleOptions, work: (api: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const api = new AppProcess(
    ['api', String(port), JSON.stringify({ ...options, baseUrl: `http://127.0.0.1:${port}` })],
    {
      PICKUP_REPORT: '0',
    },
  );
  try {
    await api.ready;
    return await work(`http://127.0.0.1:${port}`);
  } finally {
    await api.stop();
  }
}

const common = {
  secret: 'bench-secret',
  callback: { allowedHosts: ['127.0.0.1'], httpsOnly: false },
  tracing: false,
} satisfies RequestQueueModuleOptions;

/** Jobs per second of ours, and of the naive worker with each HTTP client. */
interface DriverRates {
  ours: number;
  naive: Record<NaiveClient, number>;
}

/** The hand-written Bull worker: `queue.process(concurrency, …)`, the two calls per job. */
async function naiveBull(prefix: string, client: NaiveClient, api: string, callbacks: Receiver): Promise<number> {
  const queue = new Bull<NaiveJob>(`naive-${client}`, REDIS_URL, { prefix });
  await queue.isReady();
  for (let start = 0; start < JOBS; start += 500)
    await queue.addBulk(
      Array.from({ length: Math.min(500, JOBS - start) }, () => ({
        data: naiveJob(callbacks.url),
        opts: { removeOnComplete: true },
      })),
    );
  const done = callbacks.until(JOBS);
  const started = performance.now();
  void queue.process(CONCURRENCY, (job) => naiveWork(client, api, job.data));
  await done;
  const rate = JOBS / ((performance.now() - started) / 1000);
  await queue.close();
  return rate;
}

async function redisDriver(callbacks: Receiver): Promise<DriverRates> {
  const prefix = `rqbench${randomBytes(4).toString('hex')}`;
  const options: RequestQueueModuleOptions = { ...common, driver: 'redis', redis: { url: REDIS_URL, prefix } };
  try {
    return await withApi(options, async (api) => {
      const ourRate = await ours({ ...options, baseUrl: api }, api, callbacks);
      const naive = {} as Record<NaiveClient, number>;
      for (const client of NAIVE_CLIENTS) naive[client] = await naiveBull(`${prefix}naive`, client, api, callbacks);
      return { ours: ourRate, naive };
    });
  } finally {
    await deleteRedisPrefix(REDIS_URL, prefix);
    await deleteRedisPrefix(REDIS_URL, `${prefix}naive`);
  }
}

async function mariadbDriver(callbacks: Receiver): Promise<DriverRates> {
  const database = `rq_bench_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection(MARIADB);
  await admin.query(`CREATE DATABASE ${database}`);
  const options: RequestQueueModuleOptions = {
    ...common,
    driver: 'database',
    database: { url: `mariadb://root@127.0.0.1:3306/${database}`, migrationsRun: true, sleep: 100 },
  };
  try {
    return await withApi(options, async (api) => {
      const ourRate = await ours({ ...options, baseUrl: api }, api, callbacks);
      const naive = {} as Record<NaiveClient, number>;
      for (const client of NAIVE_CLIENTS) naive[client] = await naiveSkipLocked(database, client, api, callbacks);
      return { ours: ourRate, naive };
    });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  }
}

/** The hand-written database worker: one connection per concurrent job, one job per transaction. */
async function naiveSkipLocked(
  database: string,
  client: NaiveClient,
  api: string,
  callbacks: Receiver,
): Promise<number> {
  const setup = await mysql.createConnection({ ...MARIADB, database });
  await setup.query('DROP TABLE IF EXISTS naive_jobs');
  await setup.query(
    'CREATE TABLE naive_jobs (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload LONGTEXT NOT NULL, reserved_at BIGINT NULL)',
  );
  for (let start = 0; start < JOBS; start += 500) {
    const rows = Array.from({ length: Math.min(500, JOBS - start) }, () => [JSON.stringify(naiveJob(callbacks.url))]);
    await setup.query('INSERT INTO naive_jobs (payload) VALUES ?', [rows]);
  }
  await setup.end();
  const connections = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => mysql.createConnection({ ...MARIADB, database })),
  );
  const done = callbacks.until(JOBS);
  const started = performance.now();
  await Promise.all(
    connections.map(async (db) => {
      for (;;) {
        await db.query('START TRANSACTION');
        const [rows] = await db.query(
          'SELECT id, payload FROM naive_jobs WHERE reserved_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED',
        );
        const row = (rows as { id: number; payload: string }[])[0];
        if (!row) {
          await db.query('COMMIT');
          return;
        }
        await db.query('UPDATE naive_jobs SET reserved_at = ? WHERE id = ?', [Date.now(), row.id]);
        await db.query('COMMIT');
        await naiveWork(client, api, JSON.parse(row.payload) as NaiveJob);
        await db.query('DELETE FROM naive_jobs WHERE id = ?', [row.id]);
      }
    }),
  );
  await done;
  const rate = JOBS / ((performance.now() - started) / 1000);
  await Promise.all(connections.map((c) => c.end()));
  return rate;
}

const DRIVER_RUNS = { redis: redisDriver, mariadb: mariadbDriver } as const;

async function main(): Promise<void> {
  console.log(
    `drain ${JOBS} requests accepted through the API: replay + callback per job, concurrency ${CONCURRENCY}, ` +
      'our worker vs a naive worker on the same route and receiver',
  );
  const callbacks = await receiver();
  const rate = (n: number) => `${n.toFixed(0).padStart(5)} jobs/s`;
  try {
    for (const driver of DRIVERS) {
      const run = DRIVER_RUNS[driver as keyof typeof DRIVER_RUNS];
      if (!run) throw new Error(`unknown driver '${driver}' (redis, mariadb)`);
      const rates = await run(callbacks);
      const vs = (client: NaiveClient) =>
        `naive (${client}) ${rate(rates.naive[client])}, ours ÷ naive ${(rates.ours / rates.naive[client]).toFixed(2)}×`;
      console.log(`  ${driver.padEnd(8)} ours ${rate(rates.ours)}   ${vs('fetch')}   ${vs('request')}`);
    }
  } finally {
    callbacks.server.close();
    await agent.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
