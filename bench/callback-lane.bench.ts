/**
 * Callback latency under a backlog (issue #16): the time from a replay's end to its callback
 * arriving at the receiver, p50 and p99, while a backlog of replays waits. Each run stores
 * BENCH_BACKLOG replays, then one consumer (concurrency BENCH_CONCURRENCY) drains them
 * through the real RequestProcessor (replays that sleep 20–50 ms instead of calling an
 * app; callbacks POSTed, signed, by the real CallbackSender to a local receiver), until
 * every callback has arrived. Two runs per driver, in the same process:
 * - lane off: the delivery is stored at the end of the replay's own queue (the behaviour
 *   before the callback lane), by rewriting the processor's `next` job back to that queue;
 * - lane on: as the library does it, on the queue's callback lane, handed over to the worker
 *   that settled the replay (never queued).
 *
 *   npm run bench:worker                                  # redis and MariaDB, 2000 replays, concurrency 10
 *   BENCH_DRIVERS=redis,sqlite BENCH_BACKLOG=1000 npm run bench:worker
 *
 * Needs the local Redis and MariaDB (root, no password); it uses a key prefix and a
 * database of its own and removes them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { baseQueue } from '../lib/core/callback-lane.js';
import { CallbackSender } from '../lib/core/callback-sender.js';
import { sealJob, type PlainJob } from '../lib/core/job-seal.js';
import type { JobPayload, JobResult, ReservedJob, SealedRequest } from '../lib/core/job.js';
import type { ReplayResult } from '../lib/core/outcome.js';
import type { ReplayClient } from '../lib/core/replay-client.js';
import { RequestProcessor } from '../lib/core/request-processor.js';
import { SealedBox } from '../lib/core/sealed-box.js';
import { deriveKeys } from '../lib/core/secret-keys.js';
import { DatabaseStore } from '../lib/store/database/database.store.js';
import { resolveDatabaseOptions } from '../lib/store/database/database-store.options.js';
import { RedisStore } from '../lib/store/redis/redis.store.js';
import type { RequestQueueStore } from '../lib/store/request-queue.store.js';
import { deleteRedisPrefix } from '../test/support/redis.js';

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const DRIVERS = (process.env.BENCH_DRIVERS ?? 'redis,mariadb').split(',');
const REPLAY_MS = [20, 50] as const;
const QUEUE = 'api:request';
const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' };
const REDIS_URL = 'redis://127.0.0.1:6379';

const box = new SealedBox(deriveKeys(randomBytes(32).toString('hex')));

/** When each request's replay ended and its callback arrived (performance.now()). */
class Clock {
  readonly replayEnd = new Map<string, number>();
  readonly received = new Map<string, number>();
  done?: () => void;

  arrived(correlationId: string): void {
    this.received.set(correlationId, performance.now());
    if (this.received.size === BACKLOG) this.done?.();
  }

  /** ms from replay end to callback received, sorted. */
  latencies(): number[] {
    return [...this.received].map(([id, at]) => at - this.replayEnd.get(id)!).sort((a, b) => a - b);
  }
}

/** The receiver: answers 204 and notes when each outcome arrived (its `correlationId`). */
async function receiver(clock: () => Clock): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { correlationId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { correlationId: string };
      clock().arrived(correlationId);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, server };
}

/** A replay client that "runs" the request for 20–50 ms and notes when it ended. */
function replayClient(clock: () => Clock): ReplayClient {
  const replay = async (job: JobPayload): Promise<ReplayResult> => {
    await new Promise((r) => setTimeout(r, REPLAY_MS[0] + Math.random() * (REPLAY_MS[1] - REPLAY_MS[0])));
    clock().replayEnd.set(job.correlationId, performance.now());
    return { type: 'response', status: 200, headers: { 'content-type': 'application/json' }, body: { ok: true } };
  };
  return { replay } as unknown as ReplayClient;
}

/** A request as the interceptor stores it (no body), sealed by the one sealing path (`sealJob`). */
function replayJob(callbackUrl: string): JobPayload {
  const plain: PlainJob<'replay'> = {
    v: 1,
    kind: 'replay',
    correlationId: randomUUID(),
    method: 'PUT',
    path: '/user/1',
    callbackUrl,
    queuedAt: Date.now(),
    tries: 3,
    backoff: { type: 'exponential', delay: 1000 },
    timeout: 30_000,
  };
  const secret: SealedRequest = { headers: { 'content-type': 'application/json' }, body: null, callbackToken: 'tok' };
  return sealJob(box, plain, secret);
}

interface RunResult {
  p50: number;
  p99: number;
  drainSeconds: number;
}

/** One run: BACKLOG replays stored, then drained until every callback arrived. */
async function run(store: RequestQueueStore, lane: boolean, callbackUrl: string, clock: Clock): Promise<RunResult> {
  const queue = `${QUEUE}:${randomBytes(3).toString('hex')}`;
  for (let start = 0; start < BACKLOG; start += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, BACKLOG - start) }, () => {
        const payload = replayJob(callbackUrl);
        return store.enqueue({ queue, payload, delayMs: 0 }, payload.correlationId, 600_000);
      }),
    );
  }
  const processor = new RequestProcessor(
    box,
    replayClient(() => clock),
    new CallbackSender({ policy: { allowedHosts: ['127.0.0.1'], httpsOnly: false } }),
    { callbackRetryDelays: [1000, 5000], callbackTimeout: 5000, statusTtl: 60_000 },
  );
  const handler = async (job: ReservedJob): Promise<JobResult> => {
    const result = await processor.process(job);
    // Lane off: the delivery goes to the end of the replay's own queue, as before the lane.
    if (!lane && result.type !== 'retry' && result.next)
      result.next = { ...result.next, queue: baseQueue(result.next.queue) };
    return result;
  };
  const allArrived = new Promise<void>((resolve) => (clock.done = resolve));
  const started = performance.now();
  const consumer = await store.consume({ queues: [queue], concurrency: CONCURRENCY, idleMs: 50 }, handler);
  await allArrived;
  const drainSeconds = (performance.now() - started) / 1000;
  await consumer.stop(5000);
  const sorted = clock.latencies();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), drainSeconds };
}

async function redisDriver(runBoth: (store: RequestQueueStore) => Promise<void>): Promise<void> {
  const prefix = `rqbench${randomBytes(4).toString('hex')}`;
  const store = new RedisStore({ url: REDIS_URL, prefix });
  await store.init();
  try {
    await runBoth(store);
  } finally {
    await store.close();
    await deleteRedisPrefix(REDIS_URL, prefix);
  }
}

function databaseStore(options: Parameters<typeof resolveDatabaseOptions>[0]): DatabaseStore {
  return new DatabaseStore(resolveDatabaseOptions({ migrationsRun: true, ...options }, 30_000, true));
}

async function mariadbDriver(runBoth: (store: RequestQueueStore) => Promise<void>): Promise<void> {
  const database = `rq_bench_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection(MARIADB);
  await admin.query(`CREATE DATABASE ${database}`);
  const store = databaseStore({
    options: { type: 'mariadb', host: MARIADB.host, port: MARIADB.port, username: MARIADB.user, database },
  });
  try {
    await store.init();
    await runBoth(store);
  } finally {
    await store.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  }
}

async function sqliteDriver(runBoth: (store: RequestQueueStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rq-bench-'));
  const store = databaseStore({ url: `sqlite:${join(dir, 'queue.sqlite')}` });
  try {
    await store.init();
    await runBoth(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const DRIVER_RUNS = { redis: redisDriver, mariadb: mariadbDriver, sqlite: sqliteDriver } as const;

async function main(): Promise<void> {
  console.log(
    `replay end → callback received, backlog of ${BACKLOG} replays (${REPLAY_MS.join('–')} ms each), concurrency ${CONCURRENCY}`,
  );
  let clock = new Clock();
  const { url, server } = await receiver(() => clock);
  const ms = (n: number) => `${n.toFixed(0).padStart(6)} ms`;
  try {
    for (const driver of DRIVERS) {
      const open = DRIVER_RUNS[driver as keyof typeof DRIVER_RUNS];
      if (!open) throw new Error(`unknown driver '${driver}' (redis, mariadb, sqlite)`);
      await open(async (store) => {
        for (const lane of [false, true]) {
          clock = new Clock();
          const r = await run(store, lane, url, clock);
          console.log(
            `  ${`${driver}, lane ${lane ? 'on ' : 'off'}`.padEnd(18)} p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  ` +
              `(drained in ${r.drainSeconds.toFixed(1)} s, ${(BACKLOG / r.drainSeconds).toFixed(0)} replays/s)`,
          );
        }
      });
    }
  } finally {
    server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
