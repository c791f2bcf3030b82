import { describe, expect, it } from 'vitest';
import { CLI_STORES, onOneStore, useCliWorld } from './support/cli-world.js';
import { runToEnd, Spawned } from './support/processes.js';
import { waitFor } from '../support/wait-for.js';

/** `2026-11-21 19:30:01 <uuid> PATCH /path ..... 12.3ms DONE` */
const JOB_LINE =
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [0-9a-f-]{36} (PATCH|PUT|DELETE) \S+( \(callback\))? \.{3,} [\d.]+(ms|s) (DONE|FAIL)/;

describe.each(CLI_STORES)('request-queue work on $kind.name', ({ kind, skip }) => {
  const world = useCliWorld(kind, skip);
  /** Cases about flags and signals that take jobs as every case does: on one store only (CI time). */
  const itOnce = onOneStore(kind, skip);
  const work = (...args: string[]) => runToEnd(world.build.cli, ['work', ...args], world.env);
  const jobLines = (stdout: string) => stdout.split('\n').filter((l) => JOB_LINE.test(l));
  /** The worker's own report of `id`'s replay (not its callback): the line it printed when the job ended. */
  const replayLine = (stdout: string, id: string) =>
    jobLines(stdout).find((l) => l.includes(id) && !l.includes('(callback)'));

  it.skipIf(skip)('--once runs one job and exits 0, printing one line for it', async () => {
    const first = await world.queue('/once/1');
    const second = await world.queue('/once/2');
    const run = await work('--once');
    expect(run.code, run.stderr).toBe(0);
    const lines = jobLines(run.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${first} PATCH /once/1 `);
    expect(lines[0]).toMatch(/ DONE$/);
    expect(run.stdout).toMatch(/Worker stopped \(job limit reached\)/);
    expect(world.api.for(first)).toHaveLength(1);
    expect(world.api.for(second)).toHaveLength(0);

    // --stop-when-empty runs what is left, callbacks included, then exits 0.
    const rest = await work('--stop-when-empty');
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(/Worker stopped \(queues empty\)/);
    const done = jobLines(rest.stdout);
    expect(done.filter((l) => l.includes('(callback)'))).toHaveLength(2);
    expect(done.some((l) => l.includes(`${second} PATCH /once/2 `))).toBe(true);
    expect(world.api.for(second)).toHaveLength(1);
    expect(world.api.for(first)).toHaveLength(1); // not replayed twice
    expect(world.receiver.for(first)).toHaveLength(1);
    expect(world.receiver.for(second)).toHaveLength(1);
  });

  it.skipIf(skip)('--max-jobs N runs N jobs, then exits 0', async () => {
    const ids = [await world.queue('/max/1'), await world.queue('/max/2'), await world.queue('/max/3')];
    const run = await work('--max-jobs', '3', '--concurrency', '1');
    expect(run.code, run.stderr).toBe(0);
    // A replay's callback (on its queue's callback lane) is taken before the next replay.
    const lines = jobLines(run.stdout);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(`${ids[0]} PATCH /max/1 `);
    expect(lines[1]).toContain(`${ids[0]} PATCH /max/1 (callback)`);
    expect(lines[2]).toContain(`${ids[1]} PATCH /max/2 `);
    expect(ids.filter((id) => world.api.for(id).length === 1)).toEqual(ids.slice(0, 2));
    expect(world.receiver.for(ids[0]!)).toHaveLength(1);
    await work('--stop-when-empty'); // leave nothing behind for the next test
  });

  it.skipIf(skip)('--queue high,low takes from low only when high is empty', async () => {
    const low: string[] = [];
    for (let i = 0; i < 3; i++) low.push(await world.queue(`/low/${i}`, { route: { queue: 'low' } }));
    const high: string[] = [];
    for (let i = 0; i < 3; i++) high.push(await world.queue(`/high/${i}`, { route: { queue: 'high' } }));
    const run = await work('--queue', 'high,low', '--concurrency', '1', '--stop-when-empty');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Processing jobs from [high, low]');
    const order = world.api.requests.filter((h) => /^\/(high|low)\//.test(h.url)).map((h) => h.url.split('/')[1]);
    expect(order).toEqual(['high', 'high', 'high', 'low', 'low', 'low']);
    // each callback went to its request's queue, and was delivered before the next queue was touched
    const lines = jobLines(run.stdout);
    const firstLow = lines.findIndex((l) => l.includes('/low/'));
    expect(lines.slice(0, firstLow).filter((l) => l.includes('(callback)'))).toHaveLength(3);
    expect([...high, ...low].every((id) => world.receiver.for(id).length === 1)).toBe(true);
  });

  it.skipIf(skip)('--concurrency N runs N jobs at once', async () => {
    const ids = [
      await world.queue('/slow/700/c1'),
      await world.queue('/slow/700/c2'),
      await world.queue('/slow/700/c3'),
    ];
    const run = await work('--concurrency', '3', '--stop-when-empty');
    expect(run.code, run.stderr).toBe(0);
    const hits = ids.map((id) => world.api.for(id)[0]!);
    const lastStart = Math.max(...hits.map((h) => h.startedAt));
    const firstEnd = Math.min(...hits.map((h) => h.finishedAt!));
    expect(lastStart).toBeLessThan(firstEnd); // all three were in flight together
  });

  itOnce('--tries and --timeout override what the request was queued with', async () => {
    const failing = await world.queue('/status/503/tries', {
      route: { tries: 5, backoff: { type: 'fixed', delay: 10 } },
    });
    const slow = await world.queue('/slow/3000/timeout', { route: { tries: 1, timeout: 30_000 } });
    const run = await work('--tries', '1', '--timeout', '0.3', '--stop-when-empty');
    expect(run.code, run.stderr).toBe(0);
    expect(world.api.for(failing)).toHaveLength(1); // one attempt, not five
    const lines = jobLines(run.stdout);
    expect(lines.find((l) => l.includes(failing) && !l.includes('(callback)'))).toMatch(
      /FAIL replay answered 503 \(after 1 attempt\) \(moved to failed jobs\)$/,
    );
    // The 3 s replay was cut at 0.3 s: it failed on the timeout (one try, not the queued 30 s),
    // before the app answered it.
    expect(lines.find((l) => l.includes(slow) && !l.includes('(callback)'))).toMatch(
      /FAIL .*timed out.*\(after 1 attempt\) \(moved to failed jobs\)$/,
    );
    expect(world.api.for(slow)).toHaveLength(1);
    const failed = await world.runtime.store.listFailed();
    expect(failed.filter((f) => f.correlationId === failing || f.correlationId === slow).map((f) => f.kind)).toEqual([
      'replay',
      'replay',
    ]);
    expect(failed.find((f) => f.correlationId === slow)!.error).toMatch(/timed out/);
    await world.runtime.store.flushFailed(0);
  });

  it.skipIf(skip)('--sleep: an idle worker picks up a job that arrives later', async () => {
    const worker = new Spawned(world.build.cli, ['work', '--sleep', '0.3'], world.env);
    try {
      await worker.waitForLine(/Processing jobs from/);
      await new Promise((r) => setTimeout(r, 500));
      const id = await world.queue('/late/1');
      await worker.waitForLine(new RegExp(`${id} PATCH /late/1 .* DONE`), 5000);
    } finally {
      worker.kill('SIGTERM');
      expect((await worker.exit()).code).toBe(0);
    }
  });

  itOnce('--max-time S stops taking jobs after S seconds and exits 0', async () => {
    const started = Date.now();
    const run = await work('--max-time', '1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Worker stopped \(time limit reached\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  itOnce('refuses bad flags with exit code 2 before touching the store', async () => {
    for (const args of [
      ['--concurrency', '0'],
      ['--sleep', 'soon'],
      ['--queue', 'high,,low'],
      ['--max-jobs', '1.5'],
      ['--nope'],
    ]) {
      const run = await work(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^error: /m);
    }
  });

  it.skipIf(skip)('SIGTERM: jobs in flight finish, none is lost or run twice, exit 0', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await world.queue(`/slow/1500/drain-${i}`));
    const worker = new Spawned(world.build.cli, ['work', '--concurrency', '4'], world.env);
    await waitFor('four replays in flight', () => ids.every((id) => world.api.for(id).length === 1), {
      timeoutMs: 10_000,
    });
    worker.kill('SIGTERM');
    const { code } = await worker.exit();
    expect(code, worker.output).toBe(0);
    expect(worker.output).toMatch(/Stopping \(signal\): finishing the jobs in hand/);
    // What the worker reports: each replay in flight ended DONE (its answer read), none cut off.
    const out = worker.stdout.join('\n');
    expect(ids.map((id) => replayLine(out, id))).toEqual(ids.map((): unknown => expect.stringMatching(/ DONE$/)));
    // Four replay lines, one per request: none run twice. (A callback may have been taken as a
    // replay ended, when the signal came late on a loaded machine; it ran once, DONE.)
    const replays = jobLines(out).filter((l) => !l.includes('(callback)'));
    expect(replays).toHaveLength(4);
    expect(jobLines(out).filter((l) => !/ DONE$/.test(l))).toEqual([]);

    // The callbacks they queued are delivered by the next worker; nothing is replayed again.
    const next = await work('--stop-when-empty');
    expect(next.code, next.stderr).toBe(0);
    expect(ids.map((id) => world.api.for(id).length)).toEqual([1, 1, 1, 1]);
    expect(ids.map((id) => world.receiver.for(id).length)).toEqual([1, 1, 1, 1]);
  });

  itOnce('SIGINT (Ctrl-C) drains the same way', async () => {
    const id = await world.queue('/slow/800/sigint');
    const worker = new Spawned(world.build.cli, ['work'], world.env);
    await waitFor('the replay in flight', () => world.api.for(id).length === 1, { timeoutMs: 10_000 });
    worker.kill('SIGINT');
    expect((await worker.exit()).code, worker.output).toBe(0);
    expect(replayLine(worker.stdout.join('\n'), id), worker.output).toMatch(/ PATCH \/slow\/800\/sigint .* DONE$/);
    await work('--stop-when-empty');
  });
});
