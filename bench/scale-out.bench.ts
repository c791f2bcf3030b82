/**
 * Scale-out: how the throughput of one shared queue grows with 1, 2 and 4 worker processes,
 * on each driver (Redis, MariaDB, PostgreSQL). Each worker is the built `request-queue work`
 * (concurrency BENCH_CONCURRENCY), in a network namespace of its own when this machine allows
 * it (root, `ip netns add`; each one a "host" reaching the store, the app and the receiver
 * over its own veth pair, through forwarders in this process), else a plain process. The app
 * answers each replay after BENCH_DELAY_MS (an I/O-bound endpoint); each job is its replay and
 * its callback. The clock runs from the first enqueue, with every worker started and ready,
 * to the last callback received. Ratios are against the 1-worker run of the same invocation.
 *
 *   npm run bench:scale                            # 200 jobs, concurrency 5, 50 ms endpoint
 *   BENCH_JOBS=1000 BENCH_DELAY_MS=20 npm run bench:scale
 *   BENCH_DRIVERS=redis npm run bench:scale        # one driver (redis, mariadb, postgres)
 *   BENCH_PLAIN=1 npm run bench:scale              # plain processes, even where namespaces work
 *
 * Needs `npm run build` (the script runs it) and the local Redis, MariaDB (root, no password)
 * and PostgreSQL (postgres, trust); it creates and drops prefixes and databases of its own.
 */
import { join } from 'node:path';
import { mariadbStore, postgresStore, redisStore, type StoreKind } from '../test/support/stores.js';
import { HostWorker } from '../test/scale/support/host-worker.js';
import { createHosts, namespacesUnavailable, type NetHosts } from '../test/scale/support/netns.js';
import { ScaleWorld } from '../test/scale/support/scale-world.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 5);
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 50);
const WORKER_COUNTS = [1, 2, 4];
const CLI = join(process.cwd(), 'dist/lib/cli/main.js');
const DRIVERS: Record<string, StoreKind> = { redis: redisStore, mariadb: mariadbStore, postgres: postgresStore };
const chosen = (process.env.BENCH_DRIVERS ?? 'redis,mariadb,postgres').split(',').map((d) => d.trim());

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One run: `count` workers started and ready, then JOBS queued; jobs per second to the last callback. */
async function run(world: ScaleWorld, net: NetHosts | null, count: number, label: string): Promise<number> {
  const workers = Array.from(
    { length: count },
    (_, i) =>
      new HostWorker(
        net?.hosts[i] ?? null,
        CLI,
        ['--concurrency', String(CONCURRENCY), '--sleep', '0.2'],
        world.workerEnv(i),
      ),
  );
  try {
    await Promise.all(workers.map((w) => w.ready(60_000)));
    const started = performance.now();
    const ids = await world.queue(JOBS, (i) => `/slow/${DELAY_MS}/${label}/${i}`);
    await until(() => world.calledBack(ids).length === ids.length, 600_000, `${label}: every callback`);
    const seconds = (performance.now() - started) / 1000;
    const perWorker = workers.map((w) => w.replays().length).join('/');
    console.log(
      `  ${label}: ${count} worker(s) ${(JOBS / seconds).toFixed(1)} jobs/s (replays per worker ${perWorker})`,
    );
    return JOBS / seconds;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function main(): Promise<void> {
  const why = process.env.BENCH_PLAIN ? 'BENCH_PLAIN is set' : await namespacesUnavailable();
  const net = why ? null : await createHosts(Math.max(...WORKER_COUNTS));
  const cleanup = async () => {
    await net?.remove();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  console.log(
    `scale-out: ${JOBS} jobs, worker concurrency ${CONCURRENCY}, endpoint ${DELAY_MS} ms; workers ${
      net ? 'each in a network namespace of its own' : `as plain processes (${why})`
    }`,
  );
  const rows: string[] = [];
  try {
    for (const name of chosen) {
      const factory = DRIVERS[name];
      if (!factory) throw new Error(`unknown driver '${name}' (redis, mariadb, postgres)`);
      const world = await new ScaleWorld(factory, net?.hosts ?? null).open();
      try {
        const rates: number[] = [];
        for (const count of WORKER_COUNTS) rates.push(await run(world, net, count, `${name}-${count}`));
        rows.push(
          `| ${name} | ${rates.map((r) => `${r.toFixed(r >= 100 ? 0 : 1)} (${(r / rates[0]!).toFixed(2)}×)`).join(' | ')} |`,
        );
      } finally {
        await world.close();
      }
    }
  } finally {
    await cleanup();
  }
  console.log(`\n| driver | ${WORKER_COUNTS.map((c) => `${c} worker${c > 1 ? 's' : ''}`).join(' | ')} |`);
  console.log(`|---|${WORKER_COUNTS.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(row);
  console.log('\njobs/s (ratio to 1 worker); each job is a replay and its callback');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
