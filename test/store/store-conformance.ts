import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobPayload, JobResult, NewJob, ReservedJob } from '../../lib/core/job.js';
import type { ConsumeOptions, JobConsumer, RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { uniqueName } from '../support/store-servers.js';
import type { StoreSource, StoreSpace } from '../support/stores.js';
import { waitFor } from '../support/wait-for.js';

/** The lease the suite's stores run with: short, so a dead worker's job comes back quickly. */
const LEASE_MS = 1500;
const TTL = 60_000;

export function payload(correlationId: string, overrides: Partial<JobPayload> = {}): JobPayload {
  return {
    v: 1,
    kind: 'replay',
    correlationId,
    method: 'PUT',
    path: '/user/1?x=1',
    callbackUrl: 'https://receiver.example/callback',
    queuedAt: Date.now(),
    tries: 3,
    backoff: { type: 'fixed', delay: 100 },
    timeout: 100,
    sealed: `sealed:${correlationId}`,
    ...overrides,
  };
}

export function newJob(
  queue: string,
  correlationId: string = randomUUID(),
  delayMs = 0,
  overrides: Partial<JobPayload> = {},
): NewJob {
  return { queue, payload: payload(correlationId, overrides), delayMs };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A consumer that records every job it is handed, with the time, and answers with `decide`. */
export async function record(
  store: RequestQueueStore,
  options: Partial<ConsumeOptions> & { queues: readonly string[] },
  decide: (job: ReservedJob, seen: ReservedJob[]) => JobResult | Promise<JobResult> = () => ({ type: 'complete' }),
): Promise<{ seen: ReservedJob[]; at: number[]; consumer: JobConsumer }> {
  const seen: ReservedJob[] = [];
  const at: number[] = [];
  const consumer = await store.consume({ concurrency: 1, idleMs: 50, ...options }, async (job) => {
    seen.push(job);
    at.push(Date.now());
    return decide(job, seen);
  });
  return { seen, at, consumer };
}

/**
 * The store contract (lib/store/request-queue.store.ts), run against one store. Every test
 * uses queue names and correlation ids of its own, so tests only see their own jobs.
 */
export function describeStoreConformance(name: string, source: StoreSource): void {
  describe(`store contract: ${name}`, () => {
    let target: StoreSpace;
    let store: RequestQueueStore;
    const extra: RequestQueueStore[] = [];
    const consumers: JobConsumer[] = [];

    /** Another store on the same storage (another process). */
    async function another(): Promise<RequestQueueStore> {
      const s = await target.open({ leaseMs: LEASE_MS });
      extra.push(s);
      return s;
    }

    async function consume(...args: Parameters<typeof record> extends [unknown, ...infer R] ? R : never) {
      const r = await record(store, ...args);
      consumers.push(r.consumer);
      return r;
    }

    beforeAll(async () => {
      target = await source.create();
      store = await target.open({ leaseMs: LEASE_MS });
    });

    afterAll(async () => {
      await Promise.all(consumers.map((c) => c.stop(0)));
      for (const s of [store, ...extra]) await s?.close();
      await target?.cleanup();
    });

    it('answers a ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('claims a correlation id once, until its ttl runs out', async () => {
      const id = randomUUID();
      expect(await store.claim(id, 300)).toBe(true);
      expect(await store.claim(id, 300)).toBe(false);
      expect(await store.claim(randomUUID(), 300)).toBe(true);
      await sleep(400);
      expect(await store.claim(id, TTL)).toBe(true);
      expect(await store.claim(id, TTL)).toBe(false);
    });

    it('compares correlation ids exactly (case and non-ASCII count)', async () => {
      const id = `Corr-${randomUUID()}-é`;
      expect(await store.claim(id, TTL)).toBe(true);
      expect(await store.claim(id.toLowerCase(), TTL)).toBe(true);
      expect(await store.claim(id.replace('é', 'e'), TTL)).toBe(true);
      expect(await store.claim(id, TTL)).toBe(false);
    });

    it('enqueue claims the id and stores the job; a held id stores nothing', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const jobId = await store.enqueue(newJob(queue, id), id, TTL);
      expect(typeof jobId).toBe('string');
      expect(await store.enqueue(newJob(queue, id, 0, { path: '/second' }), id, TTL)).toBeNull();
      expect(await store.claim(id, TTL)).toBe(false);
      const claimed = randomUUID();
      expect(await store.claim(claimed, TTL)).toBe(true);
      expect(await store.enqueue(newJob(queue, claimed), claimed, TTL)).toBeNull();

      const { seen } = await consume({ queues: [queue] });
      await waitFor('the stored job', () => seen.length >= 1, { timeoutMs: 5000, intervalMs: 20 });
      await sleep(300);
      expect(seen.map((j) => j.payload.correlationId)).toEqual([id]);
      expect(seen[0]!.id).toBe(jobId);
    });

    it('lets exactly one of 20 concurrent enqueues with one id win, across stores', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const other = await another();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? other : store).enqueue(newJob(queue, id, 0, { path: `/n/${i}` }), id, TTL),
        ),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      const { seen } = await consume({ queues: [queue], concurrency: 4 });
      await waitFor('the one job', () => seen.length >= 1, { timeoutMs: 5000, intervalMs: 20 });
      await sleep(300);
      expect(seen).toHaveLength(1);
    });

    it('hands a job over intact, runs it once on complete, and stores its next job', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const job = newJob(queue, id);
      await store.enqueue(job, id, TTL);
      const { seen } = await consume({ queues: [queue] }, (j) =>
        j.payload.kind === 'replay'
          ? { type: 'complete', next: newJob(queue, id, 0, { kind: 'callback', webhookId: 'msg_1', tries: 2 }) }
          : { type: 'complete' },
      );
      await waitFor('the job and its next job', () => seen.length >= 2, { timeoutMs: 5000, intervalMs: 20 });
      await sleep(300);
      expect(seen).toHaveLength(2);
      expect(seen[0]).toMatchObject({ queue, attempt: 1, payload: job.payload });
      expect(seen[1]).toMatchObject({
        queue,
        attempt: 1,
        payload: { kind: 'callback', correlationId: id, webhookId: 'msg_1' },
      });
    });

    it('runs a retried job again after its delay, with the attempt counted', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id), id, TTL);
      const { seen, at } = await consume({ queues: [queue] }, (j) =>
        j.attempt < 3 ? { type: 'retry', error: 'boom', delayMs: 400 } : { type: 'complete' },
      );
      await waitFor('three attempts', () => seen.length >= 3, { timeoutMs: 8000, intervalMs: 20 });
      await sleep(200);
      expect(seen.map((j) => j.attempt)).toEqual([1, 2, 3]);
      expect(new Set(seen.map((j) => j.id)).size).toBe(1);
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(380);
      expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(380);
    });

    it('waits for a delayed job', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const queuedAt = Date.now();
      await store.enqueue(newJob(queue, id, 500), id, TTL);
      const { seen, at } = await consume({ queues: [queue] });
      await waitFor('the delayed job', () => seen.length >= 1, { timeoutMs: 5000, intervalMs: 20 });
      expect(at[0]! - queuedAt).toBeGreaterThanOrEqual(480);
    });

    it('moves a failed job to the failed set with its error, and stores its next job', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id, 0, { method: 'DELETE', path: '/user/7' }), id, TTL);
      const { seen } = await consume({ queues: [queue] }, (j) =>
        j.payload.kind === 'replay'
          ? {
              type: 'fail',
              error: 'HTTP 500 (after 1 attempt)',
              next: newJob(queue, id, 0, { kind: 'callback', webhookId: 'msg_2' }),
            }
          : { type: 'complete' },
      );
      await waitFor('the job and its callback', () => seen.length >= 2, { timeoutMs: 5000, intervalMs: 20 });
      const failed = (await store.listFailed()).filter((f) => f.queue === queue);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        queue,
        kind: 'replay',
        correlationId: id,
        method: 'DELETE',
        path: '/user/7',
        attempts: 1,
      });
      expect(failed[0]!.error).toContain('HTTP 500');
      expect(failed[0]!.failedAt).toBeInstanceOf(Date);
      expect(Math.abs(failed[0]!.failedAt.getTime() - Date.now())).toBeLessThan(10_000);
      expect(seen[1]!.payload.kind).toBe('callback');
    });

    it("gives a dead worker's job to another worker after the lease", async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id), id, TTL);
      const dead = await record(store, { queues: [queue] }, () => new Promise<JobResult>(() => {}));
      await waitFor('the first worker to take the job', () => dead.seen.length === 1, {
        timeoutMs: 5000,
        intervalMs: 20,
      });
      await dead.consumer.stop(0); // it never finishes: its job is left to the lease
      const takenAt = Date.now();
      const other = await another();
      const { seen, at, consumer } = await record(other, { queues: [queue] });
      consumers.push(consumer);
      await waitFor('the job to come back', () => seen.length >= 1, { timeoutMs: LEASE_MS * 4 + 5000, intervalMs: 20 });
      // Same job, the lost run counted as an attempt and as a lost lease.
      expect(seen[0]!.id).toBe(dead.seen[0]!.id);
      expect(seen[0]).toMatchObject({ attempt: 2, leaseLosses: 1 });
      expect(seen[0]!.leasesExhausted).toBeUndefined();
      expect(at[0]! - takenAt).toBeGreaterThanOrEqual(LEASE_MS * 0.5);
    });

    it('runs each job a dead worker held alone, never beside another job (poison isolation)', async () => {
      const queue = uniqueName('q');
      const ids = Array.from({ length: 4 }, () => randomUUID());
      for (const id of ids) await store.enqueue(newJob(queue, id), id, TTL);
      const dead = await record(store, { queues: [queue], concurrency: 4 }, () => new Promise<JobResult>(() => {}));
      await waitFor('the first worker to take all four', () => dead.seen.length === 4, {
        timeoutMs: 5000,
        intervalMs: 20,
      });
      await dead.consumer.stop(0); // it "dies" with four jobs in hand
      const fresh = randomUUID();
      await store.enqueue(newJob(queue, fresh), fresh, TTL);

      const other = await another();
      let inHand = 0;
      const overlaps: string[] = [];
      const recovered = new Set<string>();
      const { seen, consumer } = await record(other, { queues: [queue], concurrency: 4 }, async (job) => {
        const alone = (job.leaseLosses ?? 0) > 0;
        if (alone && inHand > 0) overlaps.push(`${job.payload.correlationId} started beside ${inHand} job(s)`);
        if (!alone && recovered.size > 0) overlaps.push(`${job.payload.correlationId} started beside a recovered job`);
        inHand++;
        if (alone) recovered.add(job.id);
        await sleep(100);
        inHand--;
        recovered.delete(job.id);
        return { type: 'complete' };
      });
      consumers.push(consumer);
      await waitFor('the five jobs', () => seen.length >= 5, { timeoutMs: LEASE_MS * 4 + 10_000, intervalMs: 20 });
      expect(overlaps).toEqual([]);
      const byId = new Map(seen.map((job) => [job.payload.correlationId, job]));
      for (const id of ids) expect(byId.get(id)).toMatchObject({ attempt: 2, leaseLosses: 1 });
      expect(byId.get(fresh)!.leaseLosses ?? 0).toBe(0);
    });

    it('hands a job that lost too many leases over once to be failed, and applies that fail with its next job and status', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id, 0, { tries: 1 }), id, TTL);
      // tries 1 + 2 tolerated losses: three workers die on it, the fourth is told to fail it.
      for (let run = 1; run <= 3; run++) {
        const dead = await record(await another(), { queues: [queue] }, () => new Promise<JobResult>(() => {}));
        await waitFor(`run ${run}`, () => dead.seen.length === 1, { timeoutMs: LEASE_MS * 4 + 5000, intervalMs: 20 });
        expect(dead.seen[0]).toMatchObject({ attempt: run, leaseLosses: run - 1 });
        await dead.consumer.stop(0);
      }
      const { seen } = await consume({ queues: [queue] }, (job) =>
        job.leasesExhausted
          ? {
              type: 'fail',
              error: `worker died ${job.leaseLosses} times while running it`,
              next: newJob(queue, id, 0, { kind: 'callback', webhookId: 'failure' }),
              status: { result: 'sealed-failure', keepMs: TTL },
            }
          : { type: 'complete' },
      );
      await waitFor('the hand-over and the failure callback', () => seen.length >= 2, {
        timeoutMs: LEASE_MS * 4 + 5000,
        intervalMs: 20,
      });
      expect(seen[0]).toMatchObject({ attempt: 3, leaseLosses: 3, leasesExhausted: true });
      expect(seen[1]!.payload).toMatchObject({ kind: 'callback', webhookId: 'failure' });
      const failed = (await store.listFailed()).filter((f) => f.correlationId === id);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ kind: 'replay', error: 'worker died 3 times while running it' });
      expect(await store.readStatus(id)).toMatchObject({ state: 'failed', result: 'sealed-failure' });

      // Retried from failed jobs, it is replayed afresh: no attempts, no lost leases.
      expect(await store.retryFailed([failed[0]!.id])).toBe(1);
      await waitFor('the retried job', () => seen.length >= 3, { timeoutMs: 10_000, intervalMs: 20 });
      expect(seen[2]).toMatchObject({ attempt: 1 });
      expect(seen[2]!.leaseLosses ?? 0).toBe(0);
      expect(seen[2]!.leasesExhausted).toBeUndefined();
    });

    it('keeps a job that runs longer than the lease with its worker (the lease is renewed)', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id), id, TTL);
      const long = await consume({ queues: [queue] }, async () => {
        await sleep(LEASE_MS * 2.5);
        return { type: 'complete' };
      });
      await waitFor('the long job to start', () => long.seen.length === 1, { timeoutMs: 5000, intervalMs: 20 });
      const other = await another();
      const watcher = await record(other, { queues: [queue] });
      consumers.push(watcher.consumer);
      await sleep(LEASE_MS * 3);
      expect(long.seen).toHaveLength(1);
      expect(watcher.seen).toHaveLength(0);
    });

    it('hands each job to exactly one of several competing workers', async () => {
      const queue = uniqueName('q');
      const total = 120;
      for (let start = 0; start < total; start += 20) {
        await Promise.all(
          Array.from({ length: 20 }, () => {
            const id = randomUUID();
            return store.enqueue(newJob(queue, id), id, TTL);
          }),
        );
      }
      const other = await another();
      const handled: string[] = [];
      const workers = await Promise.all(
        [store, store, other, other].map((s) =>
          record(s, { queues: [queue], concurrency: 3 }, async (job) => {
            handled.push(job.id);
            await sleep(Math.random() * 5);
            return { type: 'complete' };
          }),
        ),
      );
      consumers.push(...workers.map((w) => w.consumer));
      await waitFor('every job', () => handled.length >= total, { timeoutMs: 20_000, intervalMs: 20 });
      await sleep(300);
      expect(handled).toHaveLength(total);
      expect(new Set(handled).size).toBe(total);
      expect(workers.filter((w) => w.seen.length > 0).length).toBeGreaterThan(1);
    });

    it('takes queues in priority order', async () => {
      const high = uniqueName('high');
      const low = uniqueName('low');
      for (let i = 0; i < 3; i++) {
        const lowId = randomUUID();
        await store.enqueue(newJob(low, lowId), lowId, TTL);
      }
      for (let i = 0; i < 3; i++) {
        const highId = randomUUID();
        await store.enqueue(newJob(high, highId), highId, TTL);
      }
      const { seen } = await consume({ queues: [high, low] });
      await waitFor('six jobs', () => seen.length >= 6, { timeoutMs: 5000, intervalMs: 20 });
      expect(seen.map((j) => j.queue)).toEqual([high, high, high, low, low, low]);
    });

    it('runs up to `concurrency` jobs at once, and no more', async () => {
      const queue = uniqueName('q');
      for (let i = 0; i < 8; i++) {
        const id = randomUUID();
        await store.enqueue(newJob(queue, id), id, TTL);
      }
      let running = 0;
      let peak = 0;
      const { seen } = await consume({ queues: [queue], concurrency: 3 }, async () => {
        peak = Math.max(peak, ++running);
        await sleep(150);
        running--;
        return { type: 'complete' };
      });
      await waitFor('eight jobs', () => seen.length >= 8 && running === 0, { timeoutMs: 8000, intervalMs: 20 });
      expect(peak).toBe(3);
    });

    it('stop() waits for jobs in hand within the grace period, and their results count', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id), id, TTL);
      let finished = false;
      const { seen, consumer } = await record(store, { queues: [queue] }, async () => {
        await sleep(300);
        finished = true;
        return { type: 'complete' };
      });
      await waitFor('the job to start', () => seen.length === 1, { timeoutMs: 5000, intervalMs: 20 });
      await consumer.stop(5000);
      expect(finished).toBe(true);
      await expect(consumer.finished).resolves.toBe('stopped');
      const again = await consume({ queues: [queue] });
      await sleep(LEASE_MS + 500);
      expect(again.seen).toHaveLength(0);
    });

    it('ends after maxJobs, and when every queue is empty with stopWhenEmpty', async () => {
      const queue = uniqueName('q');
      for (let i = 0; i < 3; i++) {
        const id = randomUUID();
        await store.enqueue(newJob(queue, id), id, TTL);
      }
      const one = await record(store, { queues: [queue], maxJobs: 1, concurrency: 2 });
      await expect(one.consumer.finished).resolves.toBe('max-jobs');
      expect(one.seen).toHaveLength(1);
      const rest = await record(store, { queues: [queue], stopWhenEmpty: true, concurrency: 2 });
      await expect(rest.consumer.finished).resolves.toBe('empty');
      expect(rest.seen).toHaveLength(2);
    });

    it('lists, retries, forgets and flushes failed jobs', async () => {
      const queue = uniqueName('q');
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of ids)
        await store.enqueue(newJob(queue, id, 0, { kind: id === ids[2] ? 'callback' : 'replay' }), id, TTL);
      const failing = await record(store, { queues: [queue], stopWhenEmpty: true }, (j) => ({
        type: 'fail',
        error: `no ${j.attempt}`,
      }));
      await failing.consumer.finished;
      const mine = async () => (await store.listFailed()).filter((f) => f.queue === queue);
      const failed = await mine();
      expect(failed).toHaveLength(3);
      for (let i = 1; i < failed.length; i++)
        expect(failed[i - 1]!.failedAt.getTime()).toBeGreaterThanOrEqual(failed[i]!.failedAt.getTime());

      const byId = new Map(failed.map((f) => [f.correlationId, f]));
      expect(await store.retryFailed([byId.get(ids[2]!)!.id, 'no-such-id', '999999999'])).toBe(1);
      const retried = await record(store, { queues: [queue], stopWhenEmpty: true });
      await retried.consumer.finished;
      expect(retried.seen).toHaveLength(1);
      expect(retried.seen[0]).toMatchObject({ attempt: 1, payload: { kind: 'callback', correlationId: ids[2] } });
      expect(await mine()).toHaveLength(2);

      expect(await store.forgetFailed(byId.get(ids[0]!)!.id)).toBe(true);
      expect(await store.forgetFailed(byId.get(ids[0]!)!.id)).toBe(false);
      expect((await mine()).map((f) => f.correlationId)).toEqual([ids[1]]);

      expect(await store.flushFailed(60_000)).toBe(0);
      await sleep(50);
      expect(await store.flushFailed(1)).toBeGreaterThanOrEqual(1);
      expect(await mine()).toHaveLength(0);
      expect(await store.flushFailed(0)).toBe(0);
    });

    it('records the restart signal for every worker', async () => {
      const before = Date.now();
      const first = await store.lastRestart();
      expect(first === null || first <= before).toBe(true);
      await store.signalRestart();
      const other = await another();
      const seen = await other.lastRestart();
      expect(seen).not.toBeNull();
      expect(seen!).toBeGreaterThanOrEqual(before);
      expect(seen!).toBeLessThanOrEqual(Date.now());
    });
  });
}
