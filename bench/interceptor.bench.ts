import { execFileSync, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from '../test/support/free-port.js';
import { deleteRedisPrefix } from '../test/support/redis.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Requests per second of a queued PUT (202 through the interceptor, stored in Redis)
 * against the same app's bare PUT route without the interceptor and against the
 * hand-written `@nestjs/bull` peer (`SET NX` of the correlation id, then `queue.add`;
 * bench/peer-route.ts), on Express and Fastify, in one run: `BENCH_ROUNDS` interleaved rounds
 * (bare, peer, the two floors, queued), medians. The floors (bench/floor-route.ts) are what
 * an interceptor's 202 costs when the library's work costs nothing (nothing stored), or is
 * one `SET NX` of the raw body: the best any implementation answering from an interceptor
 * could do in this benchmark. Next to them: the app CPU that 1.2× the peer leaves over the
 * `SET NX` floor, what the queued route adds over it, and what sealing the request alone costs
 * (bench/seal-cost.ts, in a process of its own). The app runs in a child process; autocannon drives it from
 * this one. The app's CPU time per answered request is printed next to requests per second:
 * steadier than req/s on a machine other work shares.
 *
 * Then the cost of metrics and tracing (issue 10, `benchObservability`): one process with an
 * OpenTelemetry SDK (recording every span) serves the app with both on (prom-client too),
 * and the bench switches them off and on between loads (bench-app.ts `observabilitySwitch`):
 * `BENCH_PAIRS` pairs of loads of the queued PUT, off then on and on then off in turn, each
 * on an emptied Redis prefix, each pair's ratio taken on its own and the median printed. One
 * process for both: separate processes, or two apps in one, differed by more than the 5 %
 * to be measured. The same cost is also measured part by part (observability-cost.ts: the
 * steps the gate adds with both on, in a tight loop) and set against the 202's CPU with both
 * off. `BENCH_ONLY=routes` or `BENCH_ONLY=observability` runs one part,
 * `BENCH_ADAPTERS=fastify` one adapter; `BENCH_AA=1` makes the switch do nothing (an A/A
 * check of the method's noise); `BENCH_PAIR_RATE_EXPRESS`/`_FASTIFY` load the pairs at a fixed
 * rate instead of as fast as the app answers; `BENCH_OBSERVED=span-floor` makes "on" record one
 * bare SDK span per 202 and nothing else (what recording a span costs any implementation).
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** On/off pairs for the cost of metrics and tracing, and the seconds of each load in them. */
const PAIRS = Number(process.env.BENCH_PAIRS ?? 8);
const PAIR_DURATION = Number(process.env.BENCH_PAIR_DURATION ?? 5);
const PAIR_RATE = {
  express: Number(process.env.BENCH_PAIR_RATE_EXPRESS ?? 0) || undefined,
  fastify: Number(process.env.BENCH_PAIR_RATE_FASTIFY ?? 0) || undefined,
};
/** `observability`: only the on/off comparison (issue 10); `routes`: only bare/peer/queued. */
const ONLY = process.env.BENCH_ONLY;
/** What "on" turns on in the pairs (bench-app.ts `observedOptions`): both unless set. */
const OBSERVED = process.env.BENCH_OBSERVED;
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

type CpuRun = Run & { cpuUs: number };

interface RouteRuns {
  /**
   * Interleaved rounds in the first app: bare PUT, the hand-written peer, the floors of an
   * interceptor's 202 (nothing stored; one `SET NX`: floor-route.ts), the queued PUT.
   */
  bare: CpuRun[];
  peer: CpuRun[];
  floor: CpuRun[];
  floorStored: CpuRun[];
  queued: CpuRun[];
  bareGet: Run;
  passGet: Run;
}

/** One on/off pair in the SDK processes: the queued PUT with metrics and tracing off, and on. */
interface Pair {
  off: CpuRun;
  on: CpuRun;
  /** Which ran first (the order alternates, so drift within a pair cancels over the pairs). */
  onFirst: boolean;
}
interface BenchApp {
  base: string;
  /** The app process's CPU time so far (user + system), µs. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

/** A load, and the app's CPU time per answered request over it (µs). */
/** `payload` undefined: a GET. */
async function loadWithCpu(
  app: BenchApp,
  path: string,
  payload: string | undefined,
  duration = DURATION,
  overallRate?: number,
): Promise<CpuRun> {
  const before = await app.cpu();
  const result = await autocannon({
    url: `${app.base}${path}`,
    method: payload === undefined ? 'GET' : 'PUT',
    connections: CONNECTIONS,
    duration,
    ...(overallRate && { overallRate }),
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

/** The app in a child process; `sdk`: with an OpenTelemetry SDK, metrics and tracing switched by `observe`. */
async function startApp(
  adapter: 'express' | 'fastify',
  prefix: string,
  variant?: 'sdk',
): Promise<BenchApp & { observe(on: boolean): Promise<void> }> {
  const port = await freePort();
  const appFile = fileURLToPath(new URL('./bench-app.js', import.meta.url));
  const args = [adapter, String(port), prefix, ...(variant ? [variant] : [])];
  const child = fork(appFile, args, { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`bench app exited with ${code}`)));
  });
  const ask = <T>(message: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (m: T) => resolve(m));
      child.send(message);
    });
  const cpu = async () => {
    const m = await ask<{ cpu: NodeJS.CpuUsage }>('cpu');
    return m.cpu.user + m.cpu.system;
  };
  const observe = async (on: boolean) => {
    await ask(on ? 'observe:on' : 'observe:off');
  };
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  return { base: `http://127.0.0.1:${port}`, cpu, stop, observe };
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

/** Bare, peer and queued PUT in one app, interleaved rounds; and the GET pass-through diagnostic. */
async function benchRoutes(adapter: 'express' | 'fastify'): Promise<RouteRuns> {
  const prefix = `rqbench-${randomUUID().slice(0, 8)}`;
  const app = await startApp(adapter, prefix);
  const base = app.base;
  try {
    await warm(`${base}/bare/1`, body);
    await warm(`${base}/peer/1`, body);
    await warm(`${base}/queued/1`, queuedBody);
    // Diagnostic: what any Nest interceptor costs, ours doing almost nothing (a GET passes through).
    const bareGet = await loadWithCpu(app, '/bare/1', undefined);
    const passGet = await loadWithCpu(app, '/queued/1', undefined);
    await warm(`${base}/floor/1`, body);
    await warm(`${base}/floor-stored/1`, body);
    const runs: RouteRuns = { bare: [], peer: [], floor: [], floorStored: [], queued: [], bareGet, passGet };
    for (let round = 0; round < ROUNDS; round++) {
      // Each load starts on an empty prefix (see benchObservability).
      await deleteRedisPrefix(REDIS_URL, prefix);
      runs.bare.push(await loadWithCpu(app, '/bare/1', body));
      runs.peer.push(await loadWithCpu(app, '/peer/1', body));
      runs.floor.push(await loadWithCpu(app, '/floor/1', body));
      await deleteRedisPrefix(REDIS_URL, prefix);
      runs.floorStored.push(await loadWithCpu(app, '/floor-stored/1', body));
      await deleteRedisPrefix(REDIS_URL, prefix);
      runs.queued.push(await loadWithCpu(app, '/queued/1', queuedBody));
    }
    return runs;
  } finally {
    await app.stop();
    await deleteRedisPrefix(REDIS_URL, prefix);
  }
}

/**
 * The cost of metrics and tracing (issue 10): the app with an OpenTelemetry SDK, metrics and
 * tracing switched off and on between loads; `PAIRS` pairs of loads of the queued PUT, the
 * order alternating (off-on, on-off, …), each pair compared on its own.
 */
async function benchObservability(adapter: 'express' | 'fastify'): Promise<Pair[]> {
  const prefix = `rqbench-${randomUUID().slice(0, 8)}`;
  const app = await startApp(adapter, prefix, 'sdk');
  try {
    const measure = async (on: boolean) => {
      // Each load starts on an empty prefix: Redis holding the jobs of earlier loads would
      // make later loads slower than earlier ones.
      await deleteRedisPrefix(REDIS_URL, prefix);
      await app.observe(on);
      return loadWithCpu(app, '/queued/1', queuedBody, PAIR_DURATION, PAIR_RATE[adapter]);
    };
    for (const on of [false, true]) {
      await app.observe(on);
      await warm(`${app.base}/queued/1`, queuedBody);
    }
    const pairs: Pair[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const onFirst = i % 2 === 1;
      const first = await measure(onFirst);
      const second = await measure(!onFirst);
      pairs.push(onFirst ? { on: first, off: second, onFirst } : { off: first, on: second, onFirst });
    }
    return pairs;
  } finally {
    await app.stop();
    await deleteRedisPrefix(REDIS_URL, prefix);
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

const fmt = (r: Run) =>
  `${Math.round(r.rps).toString().padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms${r.non2xx ? `  (${r.non2xx} non-2xx/errors)` : ''}`;

console.log(
  `interceptor benchmark: ${CONNECTIONS} connections, Node ${process.version}; routes: ${DURATION} s per load, ` +
    `${ROUNDS} interleaved rounds (medians); metrics+tracing: ${PAIRS} on/off pairs of ${PAIR_DURATION} s (median of the pairs' ratios)`,
);
const cpu = (r: { cpuUs: number }) => `  app CPU ${Math.round(r.cpuUs)} µs/req`;
/** What a measuring script next to this one prints as JSON, run in a process of its own before any load. */
function measuredApart<T>(script: string): T {
  const file = fileURLToPath(new URL(script, import.meta.url));
  return JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' })) as T;
}
/** µs that metrics and tracing add to one 202, measured part by part (observability-cost.ts). */
const component = ONLY === 'routes' ? undefined : measuredApart<{ addedUs: number }>('./observability-cost.js');
/** µs per `sealJob` of the queued request (seal-cost.ts). */
const sealUs = ONLY === 'observability' ? undefined : measuredApart<{ sealUs: number }>('./seal-cost.js').sealUs;

const ADAPTERS = (process.env.BENCH_ADAPTERS ?? 'express,fastify').split(',') as ('express' | 'fastify')[];
for (const adapter of ADAPTERS) {
  const row = (label: string, r: CpuRun) => console.log(`${adapter.padEnd(8)} ${label.padEnd(44)} ${fmt(r)}${cpu(r)}`);
  const ratios = (x: CpuRun, y: CpuRun) =>
    `${(x.rps / y.rps).toFixed(2)} req/s, ${(y.cpuUs / x.cpuUs).toFixed(2)} by app CPU per request`;
  if (ONLY !== 'observability') {
    const runs = await benchRoutes(adapter);
    runs.bare.forEach((_, i) => {
      row(`round ${i + 1} bare PUT`, runs.bare[i]!);
      row(`round ${i + 1} hand-written @nestjs/bull peer 202`, runs.peer[i]!);
      row(`round ${i + 1} floor: interceptor 202, nothing stored`, runs.floor[i]!);
      row(`round ${i + 1} floor: interceptor 202 after one SET NX`, runs.floorStored[i]!);
      row(`round ${i + 1} queued PUT 202`, runs.queued[i]!);
    });
    const [bare, peer, floor, floorStored, queued] = [
      runs.bare,
      runs.peer,
      runs.floor,
      runs.floorStored,
      runs.queued,
    ].map(medianRun) as [CpuRun, CpuRun, CpuRun, CpuRun, CpuRun];
    row('median bare PUT', bare);
    row('median hand-written @nestjs/bull peer 202', peer);
    row('median floor: interceptor 202, nothing stored', floor);
    row('median floor: interceptor 202 after one SET NX', floorStored);
    row('median queued PUT 202', queued);
    console.log(
      `${adapter.padEnd(8)} GET bare ${fmt(runs.bareGet)}; through the interceptor (pass-through) ${fmt(runs.passGet)}`,
    );
    console.log(`${adapter.padEnd(8)} ratio queued/peer = ${ratios(queued, peer)} (target >= 1.2)`);
    console.log(`${adapter.padEnd(8)} ratio queued/bare = ${ratios(queued, bare)} (target >= 0.85 on Express)`);
    console.log(`${adapter.padEnd(8)} ratio peer/bare   = ${ratios(peer, bare)}`);
    // What no implementation answering through an interceptor can beat (floor-route.ts).
    console.log(`${adapter.padEnd(8)} ratio floor (nothing stored)/peer = ${ratios(floor, peer)}`);
    console.log(`${adapter.padEnd(8)} ratio floor (one SET NX)/peer     = ${ratios(floorStored, peer)}`);
    console.log(`${adapter.padEnd(8)} ratio floor (one SET NX)/bare     = ${ratios(floorStored, bare)}`);
    // 1.2× the peer by CPU leaves the queued route this much app CPU over the floor, for all the
    // library's own work, of which sealing the request is only one part.
    const budget = peer.cpuUs / 1.2 - floorStored.cpuUs;
    console.log(
      `${adapter.padEnd(8)} 1.2x the peer leaves ${budget.toFixed(1)} µs of app CPU over the floor (one SET NX) ` +
        `for the library's work; it adds ${(queued.cpuUs - floorStored.cpuUs).toFixed(1)} µs, ` +
        `sealing the request alone ${sealUs!.toFixed(1)} µs (in a loop)`,
    );
  }
  if (ONLY !== 'routes') {
    const pairs = await benchObservability(adapter);
    pairs.forEach((p, i) => {
      const order = p.onFirst ? 'on, off' : 'off, on';
      row(`pair ${i + 1} (${order}) SDK, metrics+tracing off`, p.off);
      row(`pair ${i + 1} (${order}) SDK, metrics+tracing on`, p.on);
    });
    const byRps = median(pairs.map((p) => p.on.rps / p.off.rps));
    const byCpu = median(pairs.map((p) => p.off.cpuUs / p.on.cpuUs));
    const what = OBSERVED ? `BENCH_OBSERVED=${OBSERVED}` : 'metrics+tracing';
    console.log(
      `${adapter.padEnd(8)} ratio ${what} on/off, both with the SDK = ${byRps.toFixed(2)} req/s, ` +
        `${byCpu.toFixed(2)} by app CPU per request (median of ${pairs.length} pairs; target: within 5 %)`,
    );
    // The same cost part by part: what the on path adds, against the 202's CPU with both off.
    const offCpu = median(pairs.map((p) => p.off.cpuUs));
    console.log(
      `${adapter.padEnd(8)} metrics+tracing add ${component!.addedUs.toFixed(1)} µs per 202 (measured part by part) ` +
        `of ${Math.round(offCpu)} µs app CPU with both off: on/off = ${(offCpu / (offCpu + component!.addedUs)).toFixed(3)}`,
    );
  }
}
