import { describe, expect, it } from 'vitest';
import { CLI_STORES, onOneStore, useCliWorld } from './support/cli-world.js';
import { runToEnd, Spawned } from './support/processes.js';
import { waitFor } from '../support/wait-for.js';

describe.each(CLI_STORES)('restart and shutdown of workers on $kind.name', ({ kind, skip }) => {
  const world = useCliWorld(kind, skip);
  /** The worker lines (`… DONE` / `… FAIL`) of `w` about `what` (`<id> PATCH <path>`, with ` (callback)` or not). */
  const lines = (w: Spawned, what: string, callback: boolean) =>
    w.stdout.filter((l) => l.includes(`${what} `) && l.includes(' (callback) ') === callback);

  it.skipIf(skip)(
    'request-queue restart: every worker finishes the job in hand and exits 0; a worker started later keeps running',
    async () => {
      const workers = [
        new Spawned(world.build.cli, ['work'], world.env),
        new Spawned(world.build.cli, ['work'], world.env),
      ];
      try {
        await Promise.all(workers.map((w) => w.waitForLine(/Processing jobs from/)));
        const id = await world.queue('/slow/1500/restart');
        await waitFor('the replay in flight', () => world.api.for(id).length === 1, { timeoutMs: 10_000 });

        const restart = await runToEnd(world.build.cli, ['restart'], world.env);
        expect(restart.code, restart.stderr).toBe(0);
        const exits = await Promise.all(workers.map((w) => w.exit()));
        expect(exits.map((e) => e.code)).toEqual([0, 0]);
        for (const w of workers) expect(w.output).toMatch(/Worker stopped \(restart signal\)/);
        // What the workers report: the replay in hand ended DONE (finished, not cut off), on one of them.
        const replay = `${id} PATCH /slow/1500/restart`;
        expect(workers.map((w) => lines(w, replay, false).length).sort()).toEqual([0, 1]);
        expect(workers.flatMap((w) => lines(w, replay, false))).toEqual([expect.stringMatching(/ DONE$/)]);

        // The signal is in the past for a worker that starts now: it keeps running and takes
        // jobs (the replay's callback, unless a stopping worker took it before it saw the
        // signal, and a request queued now).
        const fresh = new Spawned(world.build.cli, ['work'], world.env);
        workers.push(fresh);
        await fresh.waitForLine(/Processing jobs from/);
        const later = await world.queue('/after-restart');
        await fresh.waitForLine(new RegExp(`${later} PATCH /after-restart \\(callback\\) .* DONE`));
        expect(fresh.stdout.join('\n')).not.toMatch(/Worker stopped/);
        // The first request's callback went out once, from whichever worker took it.
        expect(workers.flatMap((w) => lines(w, replay, true))).toEqual([expect.stringMatching(/ DONE$/)]);
        expect(world.receiver.for(id)).toHaveLength(1);
        expect(world.api.for(id)).toHaveLength(1);
      } finally {
        workers.forEach((w) => w.kill('SIGTERM'));
        await Promise.all(workers.map((w) => w.exit()));
      }
    },
    60_000, // three workers started one after the other, on a shared machine
  );

  onOneStore(kind, skip)(
    'the sample worker (nest start worker): SIGTERM drains the jobs in hand and exits 0',
    async () => {
      const worker = new Spawned(world.build.sampleWorker, [], world.env);
      try {
        await worker.waitForLine(/worker on /);
        const ids = [await world.queue('/slow/1200/nest-1'), await world.queue('/slow/1200/nest-2')];
        await waitFor('two replays in flight', () => ids.every((id) => world.api.for(id).length === 1), {
          timeoutMs: 10_000,
        });
        worker.kill('SIGTERM');
        const { code } = await worker.exit();
        expect(code, worker.output).toBe(0);
        // What the worker reports, through Nest's Logger with the correlation id on each job
        // line: both replays in hand ended DONE (finished, not cut off).
        for (const id of ids)
          expect(worker.output).toMatch(new RegExp(`\\[RequestQueue\\] .*${id} PATCH /slow/1200/nest-\\d DONE`));
        expect(worker.output).toMatch(/worker stopping \(stopped\)/);
      } finally {
        worker.kill('SIGKILL');
      }
      await runToEnd(world.build.cli, ['work', '--stop-when-empty'], world.env); // deliver their callbacks
    },
  );

  it.skipIf(skip)('the sample worker exits 0 on request-queue restart', async () => {
    const worker = new Spawned(world.build.sampleWorker, [], world.env);
    try {
      await worker.waitForLine(/worker on /);
      await new Promise((r) => setTimeout(r, 300)); // its first restart check has read the baseline
      expect((await runToEnd(world.build.cli, ['restart'], world.env)).code).toBe(0);
      const { code } = await worker.exit();
      expect(code, worker.output).toBe(0);
      expect(worker.output).toMatch(/worker stopped \(restart\)/);
    } finally {
      worker.kill('SIGKILL');
    }
  });
});
