/**
 * What `redis.waitForReplicas` (Redis `WAIT 1 <ms>` after the enqueue) costs on the 202 path.
 * Starts a Redis master and one replica of its own (loopback, no persistence), then runs the
 * store's `enqueue` (what a queued request does before its 202) with and without the option,
 * alternating rounds in the same run:
 * - sequential: one enqueue at a time (latency p50 and p99, as one client sees it);
 * - concurrent: BENCH_WAIT_CONCURRENCY enqueues in flight (throughput; the store batches the
 *   enqueues of one event-loop turn into one script call, and one WAIT per call).
 *
 *   npm run bench:wait
 *   BENCH_WAIT_ROUNDS=6 BENCH_WAIT_REQUESTS=500 npm run bench:wait
 *
 * Needs `redis-server` on the PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobPayload } from '../lib/core/job.js';
import { RedisStore } from '../lib/store/redis/redis.store.js';
import { freePort } from '../test/support/free-port.js';
import { Redis } from '../test/support/redis.js';

const ROUNDS = Number(process.env.BENCH_WAIT_ROUNDS ?? 4);
const REQUESTS = Number(process.env.BENCH_WAIT_REQUESTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_WAIT_CONCURRENCY ?? 32);
const WAIT = { replicas: 1, timeoutMs: 50 };

function payload(correlationId: string): JobPayload {
  return {
    v: 1,
    kind: 'replay',
    correlationId,
    method: 'PUT',
    path: '/user/1',
    callbackUrl: 'https://receiver.example/callback',
    queuedAt: Date.now(),
    tries: 3,
    backoff: { type: 'exponential', delay: 1000 },
    timeout: 30_000,
    sealed: 'x'.repeat(600), // about what a small sealed request weighs
  };
}

async function startServer(dir: string, port: number, extra: string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'no', '--save', '', ...extra],
    { stdio: 'ignore' },
  );
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 50 });
  client.on('error', () => {}); // refused until the server listens
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if (client.status !== 'ready') await client.connect().catch(() => {});
      if ((await client.ping()) === 'PONG') break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  client.disconnect();
  return child;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Figures {
  latencies: number[];
  throughput: number[];
}

async function round(store: RedisStore, queue: string, figures: Figures): Promise<void> {
  for (let i = 0; i < REQUESTS; i++) {
    const id = randomUUID();
    const t0 = process.hrtime.bigint();
    await store.enqueue({ queue, payload: payload(id), delayMs: 0 }, id, 60_000);
    figures.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < REQUESTS * 4) {
        const id = randomUUID();
        await store.enqueue({ queue, payload: payload(id), delayMs: 0 }, id, 60_000);
      }
    }),
  );
  figures.throughput.push((REQUESTS * 4) / (Number(process.hrtime.bigint() - t0) / 1e9));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rq-wait-bench-'));
  const children: ChildProcess[] = [];
  try {
    const masterPort = await freePort();
    children.push(await startServer(dir, masterPort, []));
    const replicaPort = await freePort();
    children.push(await startServer(dir, replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]));
    const master = new Redis({ port: masterPort, host: '127.0.0.1' });
    for (let i = 0; ; i++) {
      const info = await master.info('replication');
      if (/connected_slaves:1/.test(info) && /state=online/.test(info)) break;
      if (i > 200) throw new Error('the replica did not come online');
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = `redis://127.0.0.1:${masterPort}`;
    const plain = new RedisStore({ url, prefix: 'bench' });
    const waiting = new RedisStore({ url, prefix: 'bench', waitForReplicas: WAIT });
    await plain.init();
    await waiting.init();
    const off: Figures = { latencies: [], throughput: [] };
    const on: Figures = { latencies: [], throughput: [] };
    await round(plain, 'warm', { latencies: [], throughput: [] }); // connections, scripts, JIT
    for (let r = 0; r < ROUNDS; r++) {
      await round(plain, 'off', off);
      await round(waiting, 'on', on);
      await master.flushall();
    }
    await plain.close();
    await waiting.close();
    master.disconnect();

    const show = (name: string, f: Figures) => {
      const sorted = [...f.latencies].sort((a, b) => a - b);
      const rate = f.throughput.reduce((a, b) => a + b, 0) / f.throughput.length;
      return { name, p50: percentile(sorted, 50), p99: percentile(sorted, 99), rate };
    };
    const a = show('without WAIT', off);
    const b = show(`WAIT ${WAIT.replicas} ${WAIT.timeoutMs}`, on);
    console.log(
      `redis-wait bench: ${ROUNDS} rounds × (${REQUESTS} sequential + ${REQUESTS * 4} at ${CONCURRENCY} in flight), master + 1 replica on loopback`,
    );
    for (const row of [a, b]) {
      console.log(
        `  ${row.name.padEnd(14)} sequential p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms; concurrent ${row.rate.toFixed(0)} enqueues/s`,
      );
    }
    console.log(
      `  ratio (WAIT / without): p50 ×${(b.p50 / a.p50).toFixed(2)}, p99 ×${(b.p99 / a.p99).toFixed(2)}, throughput ×${(b.rate / a.rate).toFixed(2)}`,
    );
  } finally {
    for (const child of children) if (child.pid) process.kill(child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
