/**
 * Pickup latency on an idle queue (issue #14): the time from the 202 (its arrival at the
 * client) to the start of the replay (the handler entered, in the API process), p50 and
 * p99 over BENCH_REQUESTS requests sent one at a time, each after the previous one's
 * callback arrived and a random pause of up to 20 ms. The API and the worker run in two
 * processes of their own (bench/pickup-app.ts), as deployed; both report their longest
 * event-loop stall (perf_hooks.monitorEventLoopDelay) over the run, next to an idle
 * process's over the same run (the stalls the machine's load alone causes).
 *
 *   npm run bench:latency                                  # 1000 requests per driver, sleep 100 ms
 *   BENCH_REQUESTS=200 BENCH_DRIVERS=redis,sqlite BENCH_SLEEP=200 npm run bench:latency
 *
 * Drivers: redis, mariadb, postgres, sqlite. Needs the local Redis, MariaDB (root, no
 * password) and PostgreSQL (postgres, trust); it uses a key prefix, databases and a
 * temporary folder of its own and removes them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { RequestQueueModuleOptions } from '../lib/request-queue.options.js';
import { AppProcess, type Stall } from './app-process.js';
import { freePort } from '../test/support/free-port.js';
import { deleteRedisPrefix } from '../test/support/redis.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const SLEEP = Number(process.env.BENCH_SLEEP ?? 100);
const DRIVERS = (process.env.BENCH_DRIVERS ?? 'redis,mariadb,postgres,sqlite').split(',');
const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' };
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const REDIS_URL = 'redis://127.0.0.1:6379';
const wallClock = () => performance.timeOrigin + performance.now();

/** The callback receiver: 204, and who is waiting for which correlation id's outcome. */
async function receiver(): Promise<{ url: string; server: Server; arrived: (id: string) => Promise<void> }> {
  const waiting = new Map<string, () => void>();
  const early = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { correlationId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { correlationId: string };
      res.writeHead(204).end();
      const wake = waiting.get(correlationId);
      if (wake) wake();
      else early.add(correlationId);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    server,
    arrived: (id) => (early.delete(id) ? Promise.resolve() : new Promise((resolve) => waiting.set(id, resolve))),
  };
}

interface Result {
  p50: number;
  p99: number;
  max: number;
  api: Stall;
  worker: Stall;
  /** An idle process's, over the same run: what the machine's load alone causes. */
  probe: Stall;
}

async function measure(storeOptions: Partial<RequestQueueModuleOptions>): Promise<Result> {
  const port = await freePort();
  const callbacks = await receiver();
  const options: RequestQueueModuleOptions = {
    ...storeOptions,
    baseUrl: `http://127.0.0.1:${port}`,
    secret: 'bench-secret',
    callback: { allowedHosts: ['127.0.0.1'], httpsOnly: false },
    tracing: false,
  };
  const probe = new AppProcess(['probe']);
  await probe.ready;
  const api = new AppProcess(['api', String(port), JSON.stringify(options)]);
  await api.ready;
  const worker = new AppProcess(['worker', JSON.stringify({ ...options, worker: { enabled: true, concurrency: 5 } })]);
  try {
    await worker.ready;
    const latencies: number[] = [];
    const send = async () => {
      const id = randomUUID();
      const res = await fetch(`http://127.0.0.1:${port}/items/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-correlation-id': id },
        body: JSON.stringify({
          name: 'bench',
          _callback_url: callbacks.url,
          _callback_token: 'bench-callback-token-0123',
        }),
      });
      const accepted = wallClock();
      const text = await res.text();
      if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${text}`);
      const started = await api.replayed(id);
      await callbacks.arrived(id);
      return started - accepted;
    };
    for (let i = 0; i < 5; i++) await send(); // warm-up, not counted
    api.reset();
    worker.reset();
    probe.reset();
    for (let i = 0; i < REQUESTS; i++) {
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      latencies.push(await send());
    }
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    return {
      p50: at(0.5),
      p99: at(0.99),
      max: latencies.at(-1)!,
      api: await api.stall(),
      worker: await worker.stall(),
      probe: await probe.stall(),
    };
  } finally {
    await worker.stop();
    await api.stop();
    await probe.stop();
    callbacks.server.close();
  }
}

async function redisDriver(): Promise<Result> {
  const prefix = `rqbench${randomBytes(4).toString('hex')}`;
  try {
    return await measure({ driver: 'redis', redis: { url: REDIS_URL, prefix } });
  } finally {
    await deleteRedisPrefix(REDIS_URL, prefix);
  }
}

async function mariadbDriver(): Promise<Result> {
  const database = `rq_bench_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection(MARIADB);
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    return await measure({
      driver: 'database',
      database: { url: `mariadb://root@127.0.0.1:3306/${database}`, migrationsRun: true, sleep: SLEEP },
    });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  }
}

async function postgresDriver(): Promise<Result> {
  const database = `rq_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ ...POSTGRES, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    return await measure({
      driver: 'database',
      database: { url: `postgres://postgres@127.0.0.1:5432/${database}`, migrationsRun: true, sleep: SLEEP },
    });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

async function sqliteDriver(): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'rq-bench-'));
  try {
    return await measure({
      driver: 'database',
      database: { url: `sqlite:${join(dir, 'queue.sqlite')}`, migrationsRun: true, sleep: SLEEP },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DRIVER_RUNS = {
  redis: redisDriver,
  mariadb: mariadbDriver,
  postgres: postgresDriver,
  sqlite: sqliteDriver,
} as const;

async function main(): Promise<void> {
  console.log(
    `pickup latency (202 received → replay started), ${REQUESTS} requests one at a time, idle queue; ` +
      `API and worker in separate processes; database sleep ${SLEEP} ms`,
  );
  const ms = (n: number) => `${n.toFixed(1).padStart(7)} ms`;
  for (const driver of DRIVERS) {
    const run = DRIVER_RUNS[driver as keyof typeof DRIVER_RUNS];
    if (!run) throw new Error(`unknown driver '${driver}' (redis, mariadb, postgres, sqlite)`);
    const r = await run();
    console.log(
      `  ${driver.padEnd(9)} p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  max ${ms(r.max)}   ` +
        `longest event-loop stall: API ${ms(r.api.maxMs)}, worker ${ms(r.worker.maxMs)}, idle process ${ms(r.probe.maxMs)}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
