import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestQueueRuntime } from '../../lib/index.js';
import { enqueue } from './support/enqueue.js';
import { waitFor } from '../support/wait-for.js';
import { withLease } from '../support/open-store.js';
import type { StoreHarness } from '../support/stores.js';
import { apiRuntime, CALLBACK_TOKEN } from './support/api-runtime.js';
import { CLI_STORES } from './support/cli-world.js';
import { answerByPath, HttpRecorder } from '../support/http-recorder.js';

/**
 * A job still running when the grace period ends is not lost: the stopping worker stops
 * renewing its lease, and once the lease lapses another worker runs it again (delivery is
 * at least once, README "Worker and outcome").
 */
describe.each(CLI_STORES)('a job outliving the grace period on $kind.name', ({ kind, skip }) => {
  let harness: StoreHarness;
  let api: HttpRecorder;
  let receiver: HttpRecorder;
  const runtimes: RequestQueueRuntime[] = [];

  beforeAll(async () => {
    if (skip) return;
    harness = await kind.create();
    api = await new HttpRecorder(answerByPath).start();
    receiver = await new HttpRecorder(answerByPath).start();
  });

  afterAll(async () => {
    for (const r of runtimes) await r.close();
    await api?.close();
    await receiver?.close();
    await harness?.cleanup();
  });

  async function runtime(): Promise<RequestQueueRuntime> {
    // Short leases; the database driver wants one longer than any attempt (replay 2.5 s, callback 1 s).
    const lease = harness.options.driver === 'redis' ? 1000 : 3000;
    const options = { ...withLease(harness.options, lease), timeout: 2500, callback: { timeout: 1000 } };
    const r = await apiRuntime(harness, api.origin, receiver.port, options);
    runtimes.push(r);
    return r;
  }

  it.skipIf(skip)(
    'is left to its lease and runs again on another worker',
    async () => {
      const first = await runtime();
      const id = await enqueue(first, {
        path: '/slow/2000/lease',
        callbackUrl: `${receiver.origin}/callback`,
        callbackToken: CALLBACK_TOKEN,
      });
      const leaving = first.createWorker({ gracePeriod: 300, restartCheckInterval: 0 });
      await leaving.start();
      await waitFor('the replay in flight', () => api.for(id).length === 1, { timeoutMs: 10_000 });

      const stopAt = Date.now();
      await leaving.stop();
      expect(Date.now() - stopAt).toBeLessThan(1500); // gave up after the grace period
      expect(api.for(id)[0]!.finishedAt).toBeUndefined(); // the job was still running
      await first.store.close(); // the process goes away, as after its grace period

      const next = await runtime();
      const taking = next.createWorker({ maxJobs: 2, restartCheckInterval: 0, sleep: 200 });
      await taking.start();
      expect(await taking.stopped).toBe('max-jobs'); // the replay again, then its callback
      expect(api.for(id)).toHaveLength(2);
      expect(receiver.for(id).length).toBeGreaterThanOrEqual(1);
      expect(receiver.for(id)[0]!.body).toContain('"status":"completed"');
    },
    20_000,
  );
});
