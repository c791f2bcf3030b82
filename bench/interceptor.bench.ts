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
 *
 * Then the cost of metrics and tracing (issue 10): one process with an OpenTelemetry SDK
 * (recording every span) serves the app twice, with both on (prom-client too) and with both
 * off, and the queued PUT is sent to each in turn, interleaved over `BENCH_ROUNDS` rounds with
 * the first app (both off, no SDK) so that drift on a shared machine hits all alike. The
 * library's cost is on/off within the SDK process (target: within 5 %); the process's CPU
 * time per request is printed next to requests per second (steadier on a shared machine).
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
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
  /** Interleaved rounds of the queued PUT: both off without an SDK, both off with one, both on. */
  plainRounds: (Run & { cpuUs: number })[];
  sdkRounds: (Run & { cpuUs: number })[];
  observedRounds: (Run & { cpuUs: number })[];
}

interface BenchApp {
  base: string;
  /** The app process's CPU time so far (user + system), µs. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

/** A load, and the app's CPU time per answered request over it (µs). */
async function loadWithCpu(app: BenchApp, path: string, payload: string): Promise<Run & { cpuUs: number }> {
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
  if (result['2xx'] === 0) throw new Error('no 2xx answers from the queued route');
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
    await warm(`${base}/queued/1`, queuedBody);
    const bare = await load(`${base}/bare/1`, body, 200);
    const queued = await load(`${base}/queued/1`, queuedBody, 202);
    // Diagnostic: what any Nest interceptor costs, ours doing almost nothing (a GET passes through).
    const bareGet = await load(`${base}/bare/1`, undefined, 200);
    const passGet = await load(`${base}/queued/1`, undefined, 200);
    pair = await startApp(adapter, prefix, true);
    const sdkApp: BenchApp = pair;
    const observedApp = pair.observed!;
    await warm(`${sdkApp.base}/queued/1`, queuedBody);
    await warm(`${observedApp.base}/queued/1`, queuedBody);
    const plainRounds: AdapterRuns['plainRounds'] = [];
    const sdkRounds: AdapterRuns['sdkRounds'] = [];
    const observedRounds: AdapterRuns['observedRounds'] = [];
    for (let round = 0; round < ROUNDS; round++) {
      plainRounds.push(await loadWithCpu(app, '/queued/1', queuedBody));
      sdkRounds.push(await loadWithCpu(sdkApp, '/queued/1', queuedBody));
      observedRounds.push(await loadWithCpu(observedApp, '/queued/1', queuedBody));
    }
    return { bare, queued, bareGet, passGet, plainRounds, sdkRounds, observedRounds };
  } finally {
    await pair?.stop();
    await app.stop();
    await dropKeys(prefix);
  }
}

const meanRps = (runs: Run[]) => runs.reduce((sum, r) => sum + r.rps, 0) / runs.length;
const meanCpu = (runs: { cpuUs: number }[]) => runs.reduce((sum, r) => sum + r.cpuUs, 0) / runs.length;

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
  const { bare, queued, bareGet, passGet, plainRounds, sdkRounds, observedRounds } = await bench(adapter);
  console.log(`${adapter.padEnd(8)} bare PUT        ${fmt(bare)}`);
  console.log(`${adapter.padEnd(8)} queued PUT 202  ${fmt(queued)}`);
  console.log(`${adapter.padEnd(8)} bare GET        ${fmt(bareGet)}`);
  console.log(`${adapter.padEnd(8)} GET through the interceptor (pass-through) ${fmt(passGet)}`);
  console.log(
    `${adapter.padEnd(8)} ratio queued/bare = ${(queued.rps / bare.rps).toFixed(2)}   pass-through GET/bare GET = ${(passGet.rps / bareGet.rps).toFixed(2)}`,
  );
  const cpu = (r: { cpuUs: number }) => `  app CPU ${Math.round(r.cpuUs)} µs/req`;
  plainRounds.forEach((plain, i) => {
    const row = (label: string, r: Run & { cpuUs: number }) =>
      console.log(`${adapter.padEnd(8)} round ${i + 1} queued PUT 202, ${label.padEnd(28)} ${fmt(r)}${cpu(r)}`);
    row('metrics+tracing off, no SDK', plain);
    row('metrics+tracing off, SDK', sdkRounds[i]!);
    row('metrics+tracing on, SDK', observedRounds[i]!);
  });
  const ratio = (on: Run[], off: Run[]) => (meanRps(on) / meanRps(off)).toFixed(3);
  const cpuRatio = (on: { cpuUs: number }[], off: { cpuUs: number }[]) => (meanCpu(on) / meanCpu(off)).toFixed(3);
  console.log(
    `${adapter.padEnd(8)} ratio metrics+tracing on/off, both with the SDK = ${ratio(observedRounds, sdkRounds)} req/s, ${cpuRatio(observedRounds, sdkRounds)} app CPU per request (target: req/s within 5 %)`,
  );
  console.log(
    `${adapter.padEnd(8)} ratio on with the SDK / off without it = ${ratio(observedRounds, plainRounds)} req/s, ${cpuRatio(observedRounds, plainRounds)} app CPU per request (includes the SDK's own cost)`,
  );
}
