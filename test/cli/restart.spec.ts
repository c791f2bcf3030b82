import { describe, expect, it } from 'vitest';
import { useCliWorld } from './support/cli-world.js';
import { runToEnd, Spawned, waitUntil } from './support/processes.js';
import { STORE_FACTORIES } from './support/stores.js';

describe.each(STORE_FACTORIES)('restart and shutdown of workers on $name', (factory) => {
  const skip = factory.unavailable();
  const world = useCliWorld(factory);

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
        await waitUntil(() => world.api.for(id).length === 1, 10_000, 'the replay in flight');

        const restart = await runToEnd(world.build.cli, ['restart'], world.env);
        expect(restart.code, restart.stderr).toBe(0);
        const exits = await Promise.all(workers.map((w) => w.exit()));
        expect(exits.map((e) => e.code)).toEqual([0, 0]);
        for (const w of workers) expect(w.output).toMatch(/Worker stopped \(restart signal\)/);
        expect(world.api.for(id)[0]!.finishedAt).toBeDefined(); // finished, not cut off
        expect(
          workers
            .map(
              (w) => w.stdout.filter((l) => l.includes(`${id} PATCH /slow/1500/restart`) && l.endsWith('DONE')).length,
            )
            .sort(),
        ).toEqual([0, 1]);

        // The signal is in the past for a worker that starts now: it runs, and delivers the callback.
        const fresh = new Spawned(world.build.cli, ['work'], world.env);
        workers.push(fresh);
        await fresh.waitForLine(new RegExp(`${id} PATCH /slow/1500/restart \\(callback\\) .* DONE`));
        await new Promise((r) => setTimeout(r, 1500));
        expect(fresh.stdout.join('\n')).not.toMatch(/Worker stopped/);
        expect(world.api.for(id)).toHaveLength(1);
      } finally {
        workers.forEach((w) => w.kill('SIGTERM'));
        await Promise.all(workers.map((w) => w.exit()));
      }
    },
  );

  it.skipIf(skip)('the sample worker (nest start worker): SIGTERM drains the jobs in hand and exits 0', async () => {
    const worker = new Spawned(world.build.sampleWorker, [], world.env);
    try {
      await worker.waitForLine(/worker on /);
      const ids = [await world.queue('/slow/1200/nest-1'), await world.queue('/slow/1200/nest-2')];
      await waitUntil(() => ids.every((id) => world.api.for(id).length === 1), 10_000, 'two replays in flight');
      worker.kill('SIGTERM');
      const { code } = await worker.exit();
      expect(code, worker.output).toBe(0);
      expect(ids.every((id) => world.api.for(id)[0]!.finishedAt !== undefined)).toBe(true);
      // Logged through Nest's Logger, the correlation id on each job line.
      for (const id of ids)
        expect(worker.output).toMatch(new RegExp(`\\[RequestQueue\\] .*${id} PATCH /slow/1200/nest-\\d DONE`));
      expect(worker.output).toMatch(/worker stopping \(stopped\)/);
    } finally {
      worker.kill('SIGKILL');
    }
    await runToEnd(world.build.cli, ['work', '--stop-when-empty'], world.env); // deliver their callbacks
  });

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
