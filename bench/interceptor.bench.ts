import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { freePort } from '../test/support/free-port.js';

/**
 * Requests per second of a queued PUT (202 through the interceptor, stored in Redis)
 * against the same app's bare PUT route without the interceptor and against the
 * hand-written `@nestjs/bull` peer (`SET NX` of the correlation id, then `queue.add`;
 * bench/peer-route.ts), on Express and Fastify, in one run: `BENCH_ROUNDS` interleaved rounds
 * (bare, peer, queued), medians. The app runs in a child process; autocannon drives it from
 * this one. The app's CPU time per answered request is printed next to requests per second:
 * steadier than req/s on a machine other work shares.
 *
 * Then the cost of metrics and tracing (issue 10): one process with an OpenTelemetry SDK
 * (recording every span) serves the app twice, with both on (prom-client too) and with both
 * off, and the queued PUT is sent to each in turn, in the same rounds, so that drift on a
 * shared machine hits all alike. The library's cost is on/off within the SDK process
 * (target: within 5 %).
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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

type CpuRun = Run & { cpuUs: number };

interface AdapterRuns {
  /** Interleaved rounds in the first app: bare PUT, the hand-written peer, the queued PUT. */
  bare: CpuRun[];
  peer: CpuRun[];
  queued: CpuRun[];
  bareGet: Run;
  passGet: Run;
  /** The queued PUT in the SDK process, metrics and tracing off and on (same rounds). */
  sdkRounds: CpuRun[];
  observedRounds: CpuRun[];
}

interface BenchApp {
  base: string;
  /** The app process's CPU time so far (user + system), µs. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

/** A load, and the app's CPU time per answered request over it (µs). */
async function loadWithCpu(app: BenchApp, path: string, payload: string): Promise<CpuRun> {
  const before = await app.cpu();
  const result = await autocannon({
    url: `${app.base}${path}`,
    method: 'PUT',
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { 'content-type': 'application/json' },
    body: payload,
  });
  const cpuUs = (await app.cpu()) - before;
  if (result['2xx'] === 0) throw new Error(`no 2xx answers from ${path}`);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    cpuUs: cpuUs / Math.max(1, result['2xx']),
  };
}

/** The app; with `pair`, the same process also serves the app with metrics and tracing on (`observed`). */
async function startApp(
  adapter: 'express' | 'fastify',
  prefix: string,
  pair = false,
): Promise<BenchApp & { observed?: BenchApp }> {
  const port = await freePort();
  const secondPort = pair ? await freePort() : undefined;
  const appFile = fileURLToPath(new URL('./bench-app.js', import.meta.url));
  const args = [adapter, String(port), prefix, ...(pair ? ['pair', String(secondPort)] : [])];
  const child = fork(appFile, args, { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`bench app exited with ${code}`)));
  });
  const cpu = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m: { cpu: NodeJS.CpuUsage }) => resolve(m.cpu.user + m.cpu.system));
      child.send('cpu');
    });
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  return {
    base: `http://127.0.0.1:${port}`,
    cpu,
    stop,
    ...(pair && { observed: { base: `http://127.0.0.1:${secondPort}`, cpu, stop } }),
  };
}

/** Warms a route up (JIT, connection pools, Lua script cache). */
async function warm(url: string, payload: string): Promise<void> {
  await autocannon({
    url,
    method: 'PUT',
    connections: 8,
    duration: 2,
    headers: { 'content-type': 'application/json' },
    body: payload,
  });
}

async function bench(adapter: 'express' | 'fastify'): Promise<AdapterRuns> {
  const prefix = `rqbench-${randomUUID().slice(0, 8)}`;
  const app = await startApp(adapter, prefix);
  let pair: (BenchApp & { observed?: BenchApp }) | undefined;
  const base = app.base;
  try {
    await warm(`${base}/bare/1`, body);
    await warm(`${base}/peer/1`, body);
    await warm(`${base}/queued/1`, queuedBody);
    // Diagnostic: what any Nest interceptor costs, ours doing almost nothing (a GET passes through).
    const bareGet = await load(`${base}/bare/1`, undefined, 200);
    const passGet = await load(`${base}/queued/1`, undefined, 200);
    pair = await startApp(adapter, prefix, true);
    const sdkApp: BenchApp = pair;
    const observedApp = pair.observed!;
    await warm(`${sdkApp.base}/queued/1`, queuedBody);
    await warm(`${observedApp.base}/queued/1`, queuedBody);
    const runs: Omit<AdapterRuns, 'bareGet' | 'passGet'> = {
      bare: [],
      peer: [],
      queued: [],
      sdkRounds: [],
      observedRounds: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      runs.bare.push(await loadWithCpu(app, '/bare/1', body));
      runs.peer.push(await loadWithCpu(app, '/peer/1', body));
      runs.queued.push(await loadWithCpu(app, '/queued/1', queuedBody));
      runs.sdkRounds.push(await loadWithCpu(sdkApp, '/queued/1', queuedBody));
      runs.observedRounds.push(await loadWithCpu(observedApp, '/queued/1', queuedBody));
    }
    return { ...runs, bareGet, passGet };
  } finally {
    await pair?.stop();
    await app.stop();
    await dropKeys(prefix);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Medians over rounds, field by field. */
function medianRun(runs: CpuRun[]): CpuRun {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    cpuUs: median(runs.map((r) => r.cpuUs)),
  };
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

console.log(
  `interceptor benchmark: ${CONNECTIONS} connections, ${DURATION} s per route, ${ROUNDS} interleaved rounds (medians), Node ${process.version}`,
);
const cpu = (r: { cpuUs: number }) => `  app CPU ${Math.round(r.cpuUs)} µs/req`;
for (const adapter of ['express', 'fastify'] as const) {
  const runs = await bench(adapter);
  const row = (label: string, r: CpuRun) => console.log(`${adapter.padEnd(8)} ${label.padEnd(44)} ${fmt(r)}${cpu(r)}`);
  runs.bare.forEach((_, i) => {
    row(`round ${i + 1} bare PUT`, runs.bare[i]!);
    row(`round ${i + 1} hand-written @nestjs/bull peer 202`, runs.peer[i]!);
    row(`round ${i + 1} queued PUT 202`, runs.queued[i]!);
    row(`round ${i + 1} queued 202, SDK, metrics+tracing off`, runs.sdkRounds[i]!);
    row(`round ${i + 1} queued 202, SDK, metrics+tracing on`, runs.observedRounds[i]!);
  });
  const [bare, peer, queued, sdk, observed] = [
    runs.bare,
    runs.peer,
    runs.queued,
    runs.sdkRounds,
    runs.observedRounds,
  ].map(medianRun) as [CpuRun, CpuRun, CpuRun, CpuRun, CpuRun];
  row('median bare PUT', bare);
  row('median hand-written @nestjs/bull peer 202', peer);
  row('median queued PUT 202', queued);
  console.log(
    `${adapter.padEnd(8)} GET bare ${fmt(runs.bareGet)}; through the interceptor (pass-through) ${fmt(runs.passGet)}`,
  );
  const ratios = (x: CpuRun, y: CpuRun) =>
    `${(x.rps / y.rps).toFixed(2)} req/s, ${(y.cpuUs / x.cpuUs).toFixed(2)} by app CPU per request`;
  console.log(`${adapter.padEnd(8)} ratio queued/peer = ${ratios(queued, peer)} (target >= 1.2)`);
  console.log(`${adapter.padEnd(8)} ratio queued/bare = ${ratios(queued, bare)} (target >= 0.85 on Express)`);
  console.log(`${adapter.padEnd(8)} ratio peer/bare   = ${ratios(peer, bare)}`);
  console.log(
    `${adapter.padEnd(8)} ratio metrics+tracing on/off, both with the SDK = ${ratios(observed, sdk)} (target: within 5 %)`,
  );
}
