import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackLane } from '../../lib/core/callback-lane.js';
import type { JobResult, ReservedJob } from '../../lib/core/job.js';
import { minuteOf, TIMELINE_LIMIT, type ThroughputPoint, type TimelineEntry } from '../../lib/core/request-status.js';
import type { JobConsumer, RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob, record, sleep } from './store-conformance.js';
import { waitFor } from '../support/wait-for.js';
import { uniqueName } from '../support/store-servers.js';
import type { StoreSource, StoreSpace } from '../support/stores.js';

const TTL = 60_000;
const KEEP = 60_000;

/** A replay's final result as RequestProcessor gives it, with its delivery on the queue's lane. */
function finished(job: ReservedJob, type: 'complete' | 'fail', note: JobResult['note']): JobResult {
  const next = newJob(callbackLane(job.queue), job.payload.correlationId, 0, {
    kind: 'callback',
    webhookId: 'msg_x',
    tries: 3,
    queuedAt: job.payload.queuedAt,
  });
  const status = { result: `sealed-${type}`, keepMs: KEEP };
  return type === 'complete'
    ? { type, next, status, note }
    : { type, error: 'replay answered 500 (after 1 attempt)', next, status, note };
}

/** The queue's counts summed over minutes (a test may straddle a minute's end). */
function totals(points: readonly ThroughputPoint[], queue: string) {
  const sum = { completed: 0, failed: 0, waitMs: 0, waited: 0 };
  for (const p of points.filter((p) => p.queue === queue)) {
    sum.completed += p.completed;
    sum.failed += p.failed;
    sum.waitMs += p.waitMs;
    sum.waited += p.waited;
  }
  return sum;
}

/**
 * What the dashboard reads from the store (issue 10, README "Dashboard"): a request's timeline in its
 * status record, throughput per minute and queue, and retrying a queue's failed jobs.
 * Every test uses queues and correlation ids of its own.
 */
export function describeDashboardConformance(name: string, source: StoreSource): void {
  describe(`store contract, dashboard data: ${name}`, () => {
    let target: StoreSpace;
    let store: RequestQueueStore;
    let reader: RequestQueueStore;
    const consumers: JobConsumer[] = [];

    beforeAll(async () => {
      target = await source.create();
      store = await target.open({ leaseMs: 1500 });
      reader = await target.open({ leaseMs: 1500 });
    });

    afterAll(async () => {
      await Promise.all(consumers.map((c) => c.stop(0)));
      await store?.close();
      await reader?.close();
      await target?.cleanup();
    });

    async function consume(
      queues: string[],
      decide: (job: ReservedJob, seen: ReservedJob[]) => JobResult | Promise<JobResult>,
    ) {
      const r = await record(store, { queues }, decide);
      consumers.push(r.consumer);
      return r;
    }

    it('starts a timeline with the queued entry', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const job = newJob(queue, id);
      await store.enqueue(job, id, TTL);
      await sleep(200); // the delivery's settle has written all it would
      expect((await reader.readStatus(id))!.timeline).toEqual([{ at: job.payload.queuedAt, kind: 'queued' }]);
    });

    it('adds each replay attempt and each callback delivery, with status, duration and error', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const job = newJob(queue, id);
      await store.enqueue(job, id, TTL);
      const started: number[] = [];
      const { seen } = await consume([queue], (j, all) => {
        started.push(Date.now());
        const n = all.length;
        if (j.payload.kind === 'replay') {
          return j.attempt === 1
            ? { type: 'retry', error: 'replay answered 503', delayMs: 200, note: { status: 503, durationMs: 12.4 } }
            : finished(j, 'complete', { status: 200, durationMs: 30 });
        }
        return n === 3
          ? {
              type: 'retry',
              error: 'callback receiver answered 500',
              delayMs: 200,
              note: { durationMs: 5, error: 'callback receiver answered 500' },
            }
          : { type: 'complete', note: { status: 204, durationMs: 7 } };
      });
      await waitFor('two replay attempts and two deliveries', () => seen.length >= 4, {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      const timeline = await waitFor(
        'five timeline entries',
        async () => {
          const t = (await reader.readStatus(id))?.timeline ?? [];
          return t.length >= 5 ? t : null;
        },
        { timeoutMs: 5000, intervalMs: 20 },
      );
      expect(timeline.map((e) => [e.kind, e.attempt, e.status, e.durationMs, e.error])).toEqual([
        ['queued', undefined, undefined, undefined, undefined],
        ['attempt', 1, 503, 12, 'replay answered 503'],
        ['attempt', 2, 200, 30, undefined],
        ['callback', 1, undefined, 5, 'callback receiver answered 500'],
        ['callback', 2, 204, 7, undefined],
      ]);
      // each entry is when its attempt started (the store took the job), oldest first
      timeline.slice(1).forEach((e: TimelineEntry, i) => {
        expect(e.at).toBeGreaterThanOrEqual(timeline[i]!.at);
        expect(e.at).toBeLessThanOrEqual(started[i]!);
      });
      expect(JSON.stringify(timeline)).not.toContain('sealed');
      // the status record is final and the callback did not change it
      expect(await reader.readStatus(id)).toMatchObject({ state: 'completed', attempts: 2, result: 'sealed-complete' });
    });

    it("leaves a newer request's timeline alone when an older request's delivery under the same id settles", async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const job = newJob(queue, id, 60_000); // delayed: the consumer below takes only the delivery
      await store.enqueue(job, id, TTL);
      // a delivery of an earlier request that had the same id (its claim long expired)
      const stale = newJob(callbackLane(queue), id, 0, {
        kind: 'callback',
        webhookId: 'msg_old',
        queuedAt: job.payload.queuedAt - 3_600_000,
      });
      await store.enqueue(stale, `${id}:old-delivery`, TTL);
      const { seen } = await consume([callbackLane(queue)], () => ({
        type: 'complete',
        note: { status: 200, durationMs: 3 },
      }));
      await waitFor('the old delivery', () => seen.length >= 1, { timeoutMs: 5000, intervalMs: 20 });
      await waitFor(
        'its end',
        async () => (await reader.listJobs({ queue, limit: 10 })).every((j) => j.kind !== 'callback'),
        { timeoutMs: 5000, intervalMs: 20 },
      );
      await sleep(200); // the delivery's settle has written all it would
      expect((await reader.readStatus(id))!.timeline).toEqual([{ at: job.payload.queuedAt, kind: 'queued' }]);
    });

    it(`keeps the last ${TIMELINE_LIMIT} entries`, async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id, 0, { tries: 100 }), id, TTL);
      const attempts = TIMELINE_LIMIT + 2;
      const { seen } = await consume([queue], (j) =>
        j.attempt < attempts
          ? { type: 'retry', error: `try ${j.attempt}`, delayMs: 0 }
          : { type: 'complete', status: { result: 'sealed', keepMs: KEEP } },
      );
      await waitFor(`${attempts} attempts`, () => seen.length >= attempts, { timeoutMs: 20_000, intervalMs: 20 });
      const timeline = await waitFor(
        'the completed record',
        async () => {
          const r = await reader.readStatus(id);
          return r?.state === 'completed' ? r.timeline : null;
        },
        { timeoutMs: 5000, intervalMs: 20 },
      );
      expect(timeline).toHaveLength(TIMELINE_LIMIT);
      expect(timeline[0]).toMatchObject({ kind: 'attempt', attempt: attempts - TIMELINE_LIMIT + 1, error: 'try 3' });
      expect(timeline.at(-1)).toMatchObject({ kind: 'attempt', attempt: attempts });
      expect(timeline.map((e) => e.attempt)).toEqual(
        Array.from({ length: TIMELINE_LIMIT }, (_, i) => attempts - TIMELINE_LIMIT + 1 + i),
      );
    });

    it('counts completed and failed replays and queue waits per minute, not callback deliveries', async () => {
      const queue = uniqueName('q');
      const other = uniqueName('q');
      const since = minuteOf(Date.now());
      const ids = Array.from({ length: 4 }, () => randomUUID());
      for (const id of ids) await store.enqueue(newJob(queue, id), id, TTL);
      await store.enqueue(newJob(other, ids[0]! + 'x'), ids[0]! + 'x', TTL);
      const { seen } = await consume([queue, other], (j) => {
        if (j.payload.kind === 'callback') return { type: 'complete' };
        if (j.payload.correlationId === ids[0] && j.attempt === 1) return { type: 'retry', error: 'x', delayMs: 100 };
        return finished(j, j.payload.correlationId === ids[3] ? 'fail' : 'complete', {});
      });
      // 4 + 1 replays, 1 retry, 5 deliveries
      await waitFor('every replay and delivery', () => seen.length >= 11, { timeoutMs: 10_000, intervalMs: 20 });
      const sums = await waitFor(
        'the counts',
        async () => {
          const s = totals(await reader.throughput(since), queue);
          return s.completed + s.failed >= 4 ? s : null;
        },
        { timeoutMs: 5000, intervalMs: 20 },
      );
      expect(sums).toMatchObject({ completed: 3, failed: 1, waited: 4 });
      expect(sums.waitMs).toBeGreaterThanOrEqual(0);
      const points = await reader.throughput(since);
      expect(totals(points, other)).toMatchObject({ completed: 1, failed: 0, waited: 1 });
      const mine = points.filter((p) => p.queue === queue || p.queue === other);
      for (const p of mine) expect(p.at % 60_000).toBe(0);
      const order = points.map((p) => `${p.at}|${p.queue}`);
      expect(order).toEqual([...order].sort((a, b) => compare(a, b)));
      // nothing from minutes before `sinceMs`
      expect((await reader.throughput(Date.now() + 120_000)).filter((p) => p.queue === queue)).toEqual([]);
    });

    it('retries every failed job of one queue, its deliveries included, and no other queue', async () => {
      const queue = uniqueName('q');
      const other = uniqueName('q');
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      await store.enqueue(newJob(queue, ids[0]), ids[0]!, TTL);
      await store.enqueue(newJob(queue, ids[1]), ids[1]!, TTL);
      await store.enqueue(newJob(other, ids[2]), ids[2]!, TTL);
      const { seen, consumer } = await record(store, { queues: [queue, other], maxJobs: 4 }, (j) => {
        if (j.payload.kind === 'callback') return { type: 'fail', error: 'callback receiver answered 410 Gone' };
        // the first replay completes (its delivery fails), the others fail
        return j.payload.correlationId === ids[0]
          ? finished(j, 'complete', {})
          : { type: 'fail', error: 'gave up', status: { result: 'sealed-f', keepMs: KEEP } };
      });
      await consumer.finished;
      expect(seen).toHaveLength(4);
      const failedOf = async (q: string) => (await reader.listFailed()).filter((f) => f.queue === q);
      await waitFor('two failed jobs', async () => (await failedOf(queue)).length === 2, {
        timeoutMs: 5000,
        intervalMs: 20,
      });
      expect(await store.retryAllFailed(queue)).toBe(2);
      expect(await failedOf(queue)).toEqual([]);
      expect(await failedOf(other)).toHaveLength(1);
      const waiting = await reader.listJobs({ queue, state: 'waiting', limit: 10 });
      expect(waiting.map((j) => `${j.kind}:${j.correlationId}`).sort()).toEqual(
        [`callback:${ids[0]}`, `replay:${ids[1]}`].sort(),
      );
      expect(await store.retryAllFailed(queue)).toBe(0);
      expect(await store.retryAllFailed(uniqueName('none'))).toBe(0);
      // the retried replay is queued again, on its timeline too
      const timeline = (await reader.readStatus(ids[1]!))!.timeline!;
      expect(timeline.map((e) => e.kind)).toEqual(['queued', 'attempt', 'queued']);
    });
  });
}

function compare(a: string, b: string): number {
  const [at1, q1] = a.split('|') as [string, string];
  const [at2, q2] = b.split('|') as [string, string];
  return Number(at1) - Number(at2) || (q1 < q2 ? -1 : q1 > q2 ? 1 : 0);
}
