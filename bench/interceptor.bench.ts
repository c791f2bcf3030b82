import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { freePort } from '../test/support/free-port.js';

/**
 * Requests per second of a queued PUT (202 through the interceptor, stored in Redis)
 * against the same app's bare PUT route without the interceptor, on Express and Fastify,
 * in one run. The app runs in a child process; autocannon drives it from this one.
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TOKEN = 'bench-callback-token-0123456789';
const body = JSON.stringify({ name: 'Ada', email: 'ada@example.com' });
const queuedBody = JSON.stringify({
  name: 'Ada',
  email: 'ada@example.com',
  _callback_url: 'https://hooks.example.com/cb',
  _callback_token: TOKEN,
});

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function load(url: string, payload: string | undefined, expected: number): Promise<Run> {
  const result = await autocannon({
    url,
    method: payload === undefined ? 'GET' : 'PUT',
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { 'content-type': 'application/json' },
    body: payload,
  });
  const wrong = result.non2xx + result.errors + result.timeouts;
  if (expected === 202 && result['2xx'] === 0) throw new Error('no 2xx answers from the queued route');
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: wrong };
}

interface AdapterRuns {
  bare: Run;
  queued: Run;
  bareGet: Run;
  passGet: Run;
}

async function bench(adapter: 'express' | 'fastify'): Promise<AdapterRuns> {
  const port = await freePort();
  const prefix = `rqbench-${randomUUID().slice(0, 8)}`;
  const appFile = fileURLToPath(new URL('./bench-app.js', import.meta.url));
  const child = fork(appFile, [adapter, String(port), prefix], { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`bench app exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    // warm up both routes (JIT, connection pools, Lua script cache)
    await autocannon({
      url: `${base}/bare/1`,
      method: 'PUT',
      connections: 8,
      duration: 2,
      headers: { 'content-type': 'application/json' },
      body,
    });
    await autocannon({
      url: `${base}/queued/1`,
      method: 'PUT',
      connections: 8,
      duration: 2,
      headers: { 'content-type': 'application/json' },
      body: queuedBody,
    });
    const bare = await load(`${base}/bare/1`, body, 200);
    const queued = await load(`${base}/queued/1`, queuedBody, 202);
    // Diagnostic: what any Nest interceptor costs, ours doing almost nothing (a GET passes through).
    const bareGet = await load(`${base}/bare/1`, undefined, 200);
    const passGet = await load(`${base}/queued/1`, undefined, 200);
    return { bare, queued, bareGet, passGet };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await dropKeys(prefix);
  }
}

async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

const fmt = (r: Run) =>
  `${Math.round(r.rps).toString().padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms${r.non2xx ? `  (${r.non2xx} non-2xx/errors)` : ''}`;

console.log(`interceptor benchmark: ${CONNECTIONS} connections, ${DURATION} s per route, Node ${process.version}`);
for (const adapter of ['express', 'fastify'] as const) {
  const { bare, queued, bareGet, passGet } = await bench(adapter);
  console.log(`${adapter.padEnd(8)} bare PUT        ${fmt(bare)}`);
  console.log(`${adapter.padEnd(8)} queued PUT 202  ${fmt(queued)}`);
  console.log(`${adapter.padEnd(8)} bare GET        ${fmt(bareGet)}`);
  console.log(`${adapter.padEnd(8)} GET through the interceptor (pass-through) ${fmt(passGet)}`);
  console.log(
    `${adapter.padEnd(8)} ratio queued/bare = ${(queued.rps / bare.rps).toFixed(2)}   pass-through GET/bare GET = ${(passGet.rps / bareGet.rps).toFixed(2)}`,
  );
}
