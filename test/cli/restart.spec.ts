import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestQueueRuntime } from '../../lib/index.js';
import { buildForTests, type TestBuild } from './support/build.js';
import { enqueue } from './support/enqueue.js';
import { runToEnd, Spawned, waitUntil } from './support/processes.js';
import { apiRuntime, CALLBACK_TOKEN, processEnv, STORE_FACTORIES, type StoreFixture } from './support/stores.js';
import { TargetApp } from './support/target-app.js';

let build: TestBuild;
beforeAll(async () => {
  build = await buildForTests();
});
afterAll(async () => {
  await build?.remove();
});

describe.each(STORE_FACTORIES)('restart and shutdown of workers on $name', (factory) => {
  const skip = factory.unavailable();
  let fixture: StoreFixture;
  let api: TargetApp;
  let receiver: TargetApp;
  let runtime: RequestQueueRuntime;
  let env: Record<string, string>;

  beforeAll(async () => {
    if (skip) return;
    fixture = await factory.create();
    api = await new TargetApp().start();
    receiver = await new TargetApp().start();
    runtime = await apiRuntime(fixture, api.url, receiver.port);
    env = processEnv(fixture, api.url, receiver.port);
  });

  afterAll(async () => {
    await runtime?.close();
    await api?.close();
    await receiver?.close();
    await fixture?.remove();
  });

  const queue = (path: string) =>
    enqueue(runtime, { path, callbackUrl: `${receiver.url}/callback`, callbackToken: CALLBACK_TOKEN });

  it.skipIf(skip)(
    'request-queue restart: every worker finishes the job in hand and exits 0; a worker started later keeps running',
    async () => {
      const workers = [new Spawned(build.cli, ['work'], env), new Spawned(build.cli, ['work'], env)];
      try {
        await Promise.all(workers.map((w) => w.waitForLine(/Processing jobs from/)));
        const id = await queue('/slow/1500/restart');
        await waitUntil(() => api.for(id).length === 1, 10_000, 'the replay in flight');

        const restart = await runToEnd(build.cli, ['restart'], env);
        expect(restart.code, restart.stderr).toBe(0);
        const exits = await Promise.all(workers.map((w) => w.exit()));
        expect(exits.map((e) => e.code)).toEqual([0, 0]);
        for (const w of workers) expect(w.output).toMatch(/Worker stopped \(restart signal\)/);
        expect(api.for(id)[0]!.finishedAt).toBeDefined(); // finished, not cut off
        expect(
          workers
            .map(
              (w) => w.stdout.filter((l) => l.includes(`${id} PATCH /slow/1500/restart`) && l.endsWith('DONE')).length,
            )
            .sort(),
        ).toEqual([0, 1]);

        // The signal is in the past for a worker that starts now: it runs, and delivers the callback.
        const fresh = new Spawned(build.cli, ['work'], env);
        workers.push(fresh);
        await fresh.waitForLine(new RegExp(`${id} PATCH /slow/1500/restart \\(callback\\) .* DONE`));
        await new Promise((r) => setTimeout(r, 1500));
        expect(fresh.stdout.join('\n')).not.toMatch(/Worker stopped/);
        expect(api.for(id)).toHaveLength(1);
      } finally {
        workers.forEach((w) => w.kill('SIGTERM'));
        await Promise.all(workers.map((w) => w.exit()));
      }
    },
  );

  it.skipIf(skip)('the sample worker (nest start worker): SIGTERM drains the jobs in hand and exits 0', async () => {
    const worker = new Spawned(build.sampleWorker, [], env);
    try {
      await worker.waitForLine(/worker on /);
      const ids = [await queue('/slow/1200/nest-1'), await queue('/slow/1200/nest-2')];
      await waitUntil(() => ids.every((id) => api.for(id).length === 1), 10_000, 'two replays in flight');
      worker.kill('SIGTERM');
      const { code } = await worker.exit();
      expect(code, worker.output).toBe(0);
      expect(ids.every((id) => api.for(id)[0]!.finishedAt !== undefined)).toBe(true);
      // Logged through Nest's Logger, the correlation id on each job line.
      for (const id of ids)
        expect(worker.output).toMatch(new RegExp(`\\[RequestQueue\\] .*${id} PATCH /slow/1200/nest-\\d DONE`));
      expect(worker.output).toMatch(/worker stopping \(stopped\)/);
    } finally {
      worker.kill('SIGKILL');
    }
    await runToEnd(build.cli, ['work', '--stop-when-empty'], env); // deliver their callbacks
  });

  it.skipIf(skip)('the sample worker exits 0 on request-queue restart', async () => {
    const worker = new Spawned(build.sampleWorker, [], env);
    try {
      await worker.waitForLine(/worker on /);
      await new Promise((r) => setTimeout(r, 300)); // its first restart check has read the baseline
      expect((await runToEnd(build.cli, ['restart'], env)).code).toBe(0);
      const { code } = await worker.exit();
      expect(code, worker.output).toBe(0);
      expect(worker.output).toMatch(/worker stopped \(restart\)/);
    } finally {
      worker.kill('SIGKILL');
    }
  });
});
