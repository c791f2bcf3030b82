import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackLane } from '../../lib/core/callback-lane.js';
import type { JobResult, ReservedJob } from '../../lib/core/job.js';
import type { JobConsumer, RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob, record, sleep } from './store-conformance.js';
import { waitFor } from '../support/wait-for.js';
import { uniqueName } from '../support/store-servers.js';
import type { StoreSource, StoreSpace } from '../support/stores.js';

const TTL = 60_000;

/** Seen jobs as `r:<id>` (replay) or `c:<id>` (callback), in the order they started. */
function names(seen: readonly ReservedJob[]): string[] {
  return seen.map((j) => `${j.payload.kind === 'replay' ? 'r' : 'c'}:${j.payload.correlationId}`);
}

/** A replay's result as RequestProcessor gives it: complete, with its delivery on the queue's lane. */
function replayed(job: ReservedJob): JobResult {
  return {
    type: 'complete',
    next: newJob(callbackLane(job.queue), job.payload.correlationId, 0, { kind: 'callback', webhookId: 'msg_x' }),
  };
}

/**
 * Issue #16, against one store: a finished replay's callback delivery goes to its queue's
 * callback lane, which a consumer of the queue takes before the next waiting replay; a
 * delivery being retried waits for its time without holding anything up; operators see
 * the lane as part of its queue.
 */
export function describeCallbackLane(
  name: string,
  source: StoreSource,
  /** The store hands a replay's delivery over to the worker that settles the replay (Redis). */
  { handsOver = false }: { handsOver?: boolean } = {},
): void {
  describe(`callback lane: ${name}`, () => {
    let target: StoreSpace;
    let store: RequestQueueStore;
    const consumers: JobConsumer[] = [];

    beforeAll(async () => {
      target = await source.create();
      store = await target.open({ leaseMs: 1500 });
    });

    afterAll(async () => {
      await Promise.all(consumers.map((c) => c.stop(0)));
      await store?.close();
      await target?.cleanup();
    });

    async function backlog(queue: string, n: number): Promise<string[]> {
      const ids = Array.from({ length: n }, (_, i) => `${i}-${randomUUID()}`);
      for (const id of ids) await store.enqueue(newJob(queue, id), id, TTL);
      return ids;
    }

    it("delivers a finished replay's callback before the next waiting replay starts", async () => {
      const queue = uniqueName('lane');
      const ids = await backlog(queue, 8);
      const r = await record(store, { queues: [queue], concurrency: 1 }, async (job) => {
        await sleep(10);
        return job.payload.kind === 'replay' ? replayed(job) : { type: 'complete' };
      });
      consumers.push(r.consumer);
      await waitFor('every replay and its callback', () => r.seen.length >= 16, { timeoutMs: 15_000, intervalMs: 20 });
      expect(names(r.seen)).toEqual(ids.flatMap((id) => [`r:${id}`, `c:${id}`]));
      expect(r.seen.filter((j) => j.payload.kind === 'callback').map((j) => j.queue)).toEqual(
        ids.map(() => callbackLane(queue)),
      );
    });

    it(`keeps the priority between queues: a low queue's delivery ${handsOver ? 'runs right after its replay (handed over), then the high queue' : "waits for the high queue's replays"}`, async () => {
      const high = uniqueName('high');
      const low = uniqueName('low');
      const [lowId] = await backlog(low, 1);
      const r = await record(store, { queues: [high, low], concurrency: 1 }, async (job) => {
        if (job.payload.correlationId === lowId && job.payload.kind === 'replay') await backlog(high, 2);
        return job.payload.kind === 'replay' ? replayed(job) : { type: 'complete' };
      });
      consumers.push(r.consumer);
      await waitFor('every job', () => r.seen.length >= 6, { timeoutMs: 15_000, intervalMs: 20 });
      const order = names(r.seen);
      expect(order[0]).toBe(`r:${lowId}`);
      if (handsOver) {
        // The settle handed it to the worker: it runs in the replay's slot, before any take.
        expect(order[1]).toBe(`c:${lowId}`);
        expect(order.slice(2).every((n) => !n.endsWith(lowId!))).toBe(true);
      } else {
        expect(order.at(-1)).toBe(`c:${lowId}`); // behind the high queue's replays and their callbacks
      }
    });

    it(`runs a replay's delivery next on the worker that settled it${handsOver ? ' (handed over, never queued)' : ''}; if that worker dies, another runs it after the lease`, async () => {
      const queue = uniqueName('lane');
      const [id] = await backlog(queue, 1);
      let delivering = false;
      const hang = new Promise<JobResult>(() => {}); // the first worker never finishes its delivery
      const first = await record(store, { queues: [queue], concurrency: 1 }, (job) => {
        if (job.payload.kind === 'replay') return replayed(job);
        delivering = true;
        return hang;
      });
      await waitFor('the delivery running on the first worker', () => delivering, { timeoutMs: 10_000 });
      expect(names(first.seen)).toEqual([`r:${id}`, `c:${id}`]);
      expect(first.seen[1]).toMatchObject({ queue: callbackLane(queue), attempt: 1 });
      await first.consumer.stop(0); // dies: its lease is no longer renewed
      const second = await record(store, { queues: [queue], concurrency: 1 });
      consumers.push(second.consumer);
      await waitFor('the delivery run again elsewhere', () => second.seen.length >= 1, { timeoutMs: 15_000 });
      expect(second.seen[0]).toMatchObject({ id: first.seen[1]!.id, queue: callbackLane(queue) });
      expect(second.seen[0]!.leaseLosses).toBeGreaterThanOrEqual(1);
    });

    it('retries a failing delivery on its schedule without blocking other deliveries or replays; operators see the lane as its queue', async () => {
      const queue = uniqueName('lane');
      const ids = await backlog(queue, 6);
      const bad = ids[0]!;
      let receiverFixed = false; // the receiver answers again once the operator retries
      const r = await record(store, { queues: [queue], concurrency: 1 }, async (job) => {
        if (job.payload.kind === 'replay') {
          await sleep(20);
          return replayed(job);
        }
        if (job.payload.correlationId !== bad || receiverFixed) return { type: 'complete' };
        return job.attempt < 3
          ? { type: 'retry', error: 'receiver 500', delayMs: 600 }
          : { type: 'fail', error: 'receiver 500' };
      });
      consumers.push(r.consumer);
      await waitFor('every job and the three attempts', () => r.seen.length >= 14, {
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      const order = names(r.seen);
      const attempts = order.flatMap((n, i) => (n === `c:${bad}` ? [i] : []));
      expect(attempts).toHaveLength(3);
      // Between the first failed attempt and its retry, the rest of the backlog moved on.
      expect(attempts[1]! - attempts[0]!).toBeGreaterThan(1);
      for (const id of ids.slice(1)) expect(order.indexOf(`c:${id}`)).toBeLessThan(attempts[2]!);
      const at = attempts.map((i) => r.at[i]!);
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(550);
      expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(550);

      const failed = await waitFor(
        'the failed delivery',
        async () => (await store.listFailed()).find((f) => f.correlationId === bad),
        { timeoutMs: 5000, intervalMs: 20 },
      );
      expect(failed).toMatchObject({ queue, kind: 'callback' });
      const stats = await store.stats();
      expect(stats.find((s) => s.queue === queue)).toMatchObject({ failed: 1 });
      expect(stats.find((s) => s.queue === callbackLane(queue))).toBeUndefined();
      const listed = await store.listJobs({ queue, state: 'failed', limit: 10 });
      expect(listed.map((j) => [j.id, j.queue])).toEqual([[failed.id, queue]]);

      // The operator's retry (by the listed id), once the receiver is fixed, sends it again,
      // from the lane; delivered, it leaves the failed list for good.
      receiverFixed = true;
      expect(await store.retryFailed([failed.id])).toBe(1);
      await waitFor('the delivery sent again', () => r.seen.length >= 15, { timeoutMs: 10_000, intervalMs: 20 });
      expect(r.seen.at(-1)).toMatchObject({ queue: callbackLane(queue), payload: { correlationId: bad } });
      await sleep(300);
      expect(r.seen).toHaveLength(15); // sent once more, not again
      expect((await store.listFailed()).filter((f) => f.correlationId === bad)).toEqual([]);
    });
  });
}
