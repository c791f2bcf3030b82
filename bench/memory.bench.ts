/**
 * Memory (issue 14 item 5), on the Redis driver, in one run:
 * 1. The worker's heap: BENCH_JOBS jobs (replays and their callback deliveries, half each)
 *    drained by one consumer (concurrency BENCH_CONCURRENCY) through the real
 *    RequestProcessor (a replay client that answers at once; callbacks signed and POSTed by
 *    the real CallbackSender to a local receiver), requests stored ahead in batches so the
 *    backlog stays small. After every BENCH_STEP jobs: a full GC, then `heapUsed`, printed
 *    as a series and as last ÷ first.
 * 2. What those requests leave in Redis once drained: the keys under the run's prefix by
 *    kind (SCAN), whether each kind expires, their bytes (MEMORY USAGE), and INFO's
 *    used_memory before and after (the server is shared: that delta is noisy; the per-key
 *    figure is exact). With the library's defaults (`correlationTtl` 24 h, `statusTtl` =
 *    `correlationTtl`).
 *
 *   npm run bench:memory                       # 100 000 jobs (50 000 requests)
 *   BENCH_JOBS=20000 npm run bench:memory      # shorter
 *
 * Needs the local Redis; uses a key prefix of its own and removes it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackSender } from '../lib/core/callback-sender.js';
import { sealJob, type PlainJob } from '../lib/core/job-seal.js';
import type { JobPayload, SealedRequest } from '../lib/core/job.js';
import type { ReplayResult } from '../lib/core/outcome.js';
import type { ReplayClient } from '../lib/core/replay-client.js';
import { RequestProcessor } from '../lib/core/request-processor.js';
import { SealedBox } from '../lib/core/sealed-box.js';
import { deriveKeys } from '../lib/core/secret-keys.js';
import { RedisStore } from '../lib/store/redis/redis.store.js';
import { deleteRedisPrefix, Redis } from '../test/support/redis.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 100_000);
const STEP = Number(process.env.BENCH_STEP ?? Math.max(1, Math.floor(JOBS / 10)));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'api:request';
const HOUR = 60 * 60 * 1000;
/** The library's defaults: `correlationTtl`, and `statusTtl` that follows it. */
const CLAIM_TTL_MS = 24 * HOUR;
const STATUS_TTL_MS = CLAIM_TTL_MS;
/** Requests stored ahead of the worker at most. */
const AHEAD = 2_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:memory does)');

const box = new SealedBox(deriveKeys(randomBytes(32).toString('hex')));

/** A request as the interceptor stores it: a small JSON body, sealed with its headers. */
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
  const secret: SealedRequest = {
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ name: 'Ada', email: 'ada@example.com' })),
    callbackToken: 'tok',
  };
  return sealJob(box, plain, secret);
}

/** The receiver: answers 204 and counts. */
async function receiver(onArrival: () => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      onArrival();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, server };
}

const replayClient = {
  replay: (): Promise<ReplayResult> =>
    Promise.resolve({
      type: 'response',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { ok: true },
    }),
} as unknown as ReplayClient;

function heapMb(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** The kind of a key under `<prefix>:` (ids and correlation ids folded). */
function kindOf(rest: string): string {
  if (rest.startsWith('request-queue:')) return rest.split(':').slice(0, 2).join(':') + ':*';
  const parts = rest.split(':');
  const last = parts[parts.length - 1]!;
  if (/^\d+$/.test(last)) return `${parts.slice(0, -1).join(':')}:<job id>`;
  if (/^\d+$/.test(parts[parts.length - 2] ?? '')) return `${parts.slice(0, -2).join(':')}:<job id>:${last}`;
  return rest;
}

interface KeyKind {
  count: number;
  bytes: number;
  withTtl: number;
  maxTtlMs: number;
}

/** Every key under the prefix by kind: count, bytes (MEMORY USAGE), how many expire, the longest TTL. */
async function census(redis: Redis, prefix: string): Promise<Map<string, KeyKind>> {
  const kinds = new Map<string, KeyKind>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipe = redis.pipeline();
    for (const key of keys) pipe.memory('USAGE', key).pttl(key);
    const replies = (await pipe.exec()) ?? [];
    keys.forEach((key, i) => {
      const bytes = Number(replies[2 * i]?.[1] ?? 0);
      const ttl = Number(replies[2 * i + 1]?.[1] ?? -1);
      const kind = kindOf(key.slice(prefix.length + 1));
      const k = kinds.get(kind) ?? { count: 0, bytes: 0, withTtl: 0, maxTtlMs: 0 };
      k.count++;
      k.bytes += bytes;
      if (ttl >= 0) {
        k.withTtl++;
        k.maxTtlMs = Math.max(k.maxTtlMs, ttl);
      }
      kinds.set(kind, k);
    });
  } while (cursor !== '0');
  return kinds;
}

async function main(): Promise<void> {
  const requests = Math.ceil(JOBS / 2);
  console.log(
    `memory bench: ${JOBS} jobs (${requests} requests, each a replay and its callback), sampled every ${STEP}, concurrency ${CONCURRENCY}`,
  );
  const prefix = `rqmem${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const store = new RedisStore({ url: REDIS_URL, prefix });
  await store.init();
  let arrived = 0;
  let allArrived!: () => void;
  const done = new Promise<void>((resolve) => (allArrived = resolve));
  const { url, server } = await receiver(() => {
    if (++arrived === requests) allArrived();
  });
  try {
    const memoryBefore = await usedMemory(redis);
    const processor = new RequestProcessor(
      box,
      replayClient,
      new CallbackSender({ policy: { allowedHosts: ['127.0.0.1'], httpsOnly: false } }),
      { callbackRetryDelays: [1000, 5000], callbackTimeout: 5000, statusTtl: STATUS_TTL_MS },
    );
    let stored = 0;
    const refill = async () => {
      while (stored < requests && stored - arrived < AHEAD) {
        const n = Math.min(200, requests - stored);
        stored += n;
        await Promise.all(
          Array.from({ length: n }, () => {
            const payload = replayJob(url);
            return store.enqueue({ queue: QUEUE, payload, delayMs: 0 }, payload.correlationId, CLAIM_TTL_MS);
          }),
        );
      }
    };
    await refill();
    const samples: { jobs: number; heapMb: number }[] = [];
    let jobs = 0;
    let refilling: Promise<void> | null = null;
    const started = performance.now();
    const consumer = await store.consume({ queues: [QUEUE], concurrency: CONCURRENCY, idleMs: 50 }, async (job) => {
      const result = await processor.process(job);
      if (++jobs % STEP === 0) samples.push({ jobs, heapMb: heapMb() });
      if (!refilling && stored < requests && stored - arrived < AHEAD / 2) {
        refilling = refill().finally(() => (refilling = null));
      }
      return result;
    });
    await done;
    await consumer.stop(5000);
    const seconds = (performance.now() - started) / 1000;
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    console.log(`\nworker heap after a full GC, every ${STEP} jobs (${(jobs / seconds).toFixed(0)} jobs/s):`);
    console.log(samples.map((s) => `  ${String(s.jobs).padStart(7)} jobs: ${s.heapMb.toFixed(1)} MB`).join('\n'));
    console.log(`  last ÷ first: ${(last.heapMb / first.heapMb).toFixed(3)} (${first.jobs} → ${last.jobs} jobs)`);

    const memoryAfter = await usedMemory(redis);
    const kinds = await census(redis, prefix);
    const total = [...kinds.values()].reduce((sum, k) => sum + k.bytes, 0);
    console.log(`\nRedis after the drain, ${requests} requests (keys under the run's prefix):`);
    console.log('  kind                                   keys   per request  bytes/request  expire (longest TTL)');
    for (const [kind, k] of [...kinds].sort((a, b) => b[1].bytes - a[1].bytes)) {
      const ttl = k.withTtl === k.count ? `all (${(k.maxTtlMs / HOUR).toFixed(1)} h)` : `${k.withTtl} of ${k.count}`;
      console.log(
        `  ${kind.padEnd(36)} ${String(k.count).padStart(7)} ${(k.count / requests).toFixed(3).padStart(12)} ${(k.bytes / requests).toFixed(1).padStart(14)}  ${ttl}`,
      );
    }
    console.log(`  total: ${(total / requests).toFixed(0)} bytes per request (MEMORY USAGE)`);
    console.log(
      `  INFO used_memory: ${((memoryAfter - memoryBefore) / requests).toFixed(0)} bytes per request (after − before; shared server, noisy)`,
    );
  } finally {
    server.close();
    await store.close();
    await deleteRedisPrefix(REDIS_URL, prefix);
    await redis.quit();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
