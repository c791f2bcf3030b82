import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult, ReservedJob } from '../../lib/core/job.js';
import type { StatusRecord } from '../../lib/core/request-status.js';
import type { JobConsumer, RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob, record, sleep } from './store-conformance.js';
import { waitFor } from '../support/wait-for.js';
import { uniqueName } from '../support/store-servers.js';
import type { StoreSource, StoreSpace } from '../support/stores.js';

const LEASE_MS = 1500;
const TTL = 60_000;
const KEEP = 60_000;

/**
 * The status-record half of the store contract (lib/store/request-queue.store.ts, SPEC §8
 * and §9): what `enqueue` and each job result write, what `readStatus`, `listJobs` and
 * `stats` read back. Every test uses queues and correlation ids of its own.
 */
export function describeStatusConformance(name: string, source: StoreSource): void {
  describe(`store contract, status records: ${name}`, () => {
    let target: StoreSpace;
    let store: RequestQueueStore;
    let reader: RequestQueueStore;
    const consumers: JobConsumer[] = [];

    beforeAll(async () => {
      target = await source.create();
      store = await target.open({ leaseMs: LEASE_MS });
      reader = await target.open({ leaseMs: LEASE_MS });
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

    it('has no record for an id never queued, nor for a synchronous claim', async () => {
      expect(await reader.readStatus(randomUUID())).toBeNull();
      const id = randomUUID();
      expect(await store.claim(id, TTL)).toBe(true);
      expect(await reader.readStatus(id)).toBeNull();
    });

    it('records a queued request with its job, queue and fingerprint; a held id changes nothing', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const job = newJob(queue, id);
      const before = Date.now();
      const jobId = await store.enqueue(job, id, TTL, { fingerprint: 'fp-1' });
      const rec = await reader.readStatus(id);
      expect(rec).toMatchObject({
        correlationId: id,
        state: 'queued',
        attempts: 0,
        queue,
        jobId,
        queuedAt: job.payload.queuedAt,
        fingerprint: 'fp-1',
      });
      expect(rec!.updatedAt).toBeGreaterThanOrEqual(before - 5);
      expect(rec!.result).toBeUndefined();
      expect(rec!.nextAttemptAt).toBeUndefined();

      expect(
        await store.enqueue(newJob(queue, id, 0, { path: '/other' }), id, TTL, { fingerprint: 'fp-2' }),
      ).toBeNull();
      expect(await reader.readStatus(id)).toEqual(rec);
    });

    it('records a delayed request as queued with its next attempt time', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const before = Date.now();
      await store.enqueue(newJob(queue, id, 5000), id, TTL);
      const rec = await reader.readStatus(id);
      expect(rec!.state).toBe('queued');
      expect(rec!.nextAttemptAt).toBeGreaterThanOrEqual(before + 5000);
      expect(rec!.nextAttemptAt).toBeLessThanOrEqual(Date.now() + 5000);
    });

    it('walks queued, running, retrying, running, completed with the attempts counted', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id), id, TTL);
      const during: (StatusRecord | null)[] = [];
      const retriedAt: number[] = [];
      let afterRetry: StatusRecord | null = null;
      const { seen } = await consume([queue], async (job) => {
        during.push(await reader.readStatus(id));
        if (job.attempt === 1) {
          retriedAt.push(Date.now());
          // read the record while the job waits on its backoff
          setTimeout(() => void reader.readStatus(id).then((r) => (afterRetry = r)), 150);
          return { type: 'retry', error: 'replay answered 503', delayMs: 600 };
        }
        return { type: 'complete', status: { result: 'sealed-outcome-1', keepMs: KEEP } };
      });
      await waitFor('two attempts', () => seen.length >= 2, { timeoutMs: 8000, intervalMs: 20 });
      const done = await waitFor(
        'the completed record',
        async () => {
          const r = await reader.readStatus(id);
          return r?.state === 'completed' ? r : null;
        },
        { timeoutMs: 5000, intervalMs: 20 },
      );

      expect(during.map((r) => [r?.state, r?.attempts])).toEqual([
        ['running', 1],
        ['running', 2],
      ]);
      expect(afterRetry).toMatchObject({ state: 'retrying', attempts: 1 });
      expect(afterRetry!.nextAttemptAt).toBeGreaterThanOrEqual(retriedAt[0]! + 590);
      expect(afterRetry!.nextAttemptAt).toBeLessThanOrEqual(retriedAt[0]! + 1000);
      expect(done).toMatchObject({ state: 'completed', attempts: 2, result: 'sealed-outcome-1', queue });
      expect(done.nextAttemptAt).toBeUndefined();
    });

    it('records a failure with its outcome; the callback job leaves the record alone', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id), id, TTL);
      const { seen } = await consume([queue], (job) =>
        job.payload.kind === 'replay'
          ? {
              type: 'fail',
              error: 'replay answered 500 (after 1 attempt)',
              status: { result: 'sealed-failure', keepMs: KEEP },
              next: newJob(queue, id, 0, { kind: 'callback', webhookId: 'msg_x', tries: 1 }),
            }
          : { type: 'retry', error: 'receiver down', delayMs: 60_000 },
      );
      await waitFor('the replay and its callback', () => seen.length >= 2, { timeoutMs: 8000, intervalMs: 20 });
      await sleep(200);
      expect(await reader.readStatus(id)).toMatchObject({ state: 'failed', attempts: 1, result: 'sealed-failure' });
    });

    it('puts an operator-retried failed request back to queued; forget keeps the record', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      const other = randomUUID();
      await store.enqueue(newJob(queue, id), id, TTL);
      await store.enqueue(newJob(queue, other), other, TTL);
      let failAll = true;
      const { seen } = await consume([queue], () =>
        failAll
          ? { type: 'fail', error: 'gave up', status: { result: 'sealed-f', keepMs: KEEP } }
          : { type: 'complete', status: { result: 'sealed-ok', keepMs: KEEP } },
      );
      await waitFor('both failures', () => seen.length >= 2, { timeoutMs: 8000, intervalMs: 20 });
      await waitFor('failed record', async () => (await reader.readStatus(other))?.state === 'failed', {
        timeoutMs: 5000,
        intervalMs: 20,
      });
      const failed = (await store.listFailed()).filter((f) => f.queue === queue);
      expect(failed).toHaveLength(2);

      expect(await store.forgetFailed(failed.find((f) => f.correlationId === other)!.id)).toBe(true);
      expect(await reader.readStatus(other)).toMatchObject({ state: 'failed', result: 'sealed-f' });

      failAll = false;
      const mine = failed.find((f) => f.correlationId === id)!;
      expect(await store.retryFailed([mine.id])).toBe(1);
      const requeued = await reader.readStatus(id);
      // queued, unless the running consumer was quicker
      expect(['queued', 'running', 'completed']).toContain(requeued!.state);
      if (requeued!.state === 'queued') expect(requeued!.result).toBeUndefined();
      const done = await waitFor(
        'the retried request to complete',
        async () => {
          const r = await reader.readStatus(id);
          return r?.state === 'completed' ? r : null;
        },
        { timeoutMs: 8000, intervalMs: 20 },
      );
      expect(done).toMatchObject({ result: 'sealed-ok', attempts: 1 });
    });

    it('forgets a final record after its keepMs, by itself', async () => {
      const queue = uniqueName('q');
      const id = randomUUID();
      await store.enqueue(newJob(queue, id), id, TTL);
      const { seen } = await consume([queue], () => ({
        type: 'complete',
        status: { result: 'sealed-short', keepMs: 700 },
      }));
      await waitFor('the job', () => seen.length >= 1, { timeoutMs: 5000, intervalMs: 20 });
      await waitFor('completed', async () => (await reader.readStatus(id))?.state === 'completed', {
        timeoutMs: 3000,
        intervalMs: 20,
      });
      await sleep(900);
      expect(await reader.readStatus(id)).toBeNull();
    });

    it('lists waiting, delayed, running and failed jobs, and counts them per queue', async () => {
      const queue = uniqueName('q');
      const ids = Array.from({ length: 6 }, () => randomUUID());
      // two waiting, one delayed, one running (held), one failed
      await store.enqueue(newJob(queue, ids[0]), ids[0]!, TTL);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const { seen, consumer } = await record(store, { queues: [queue], maxJobs: 2 }, async (job) => {
        if (job.payload.correlationId === ids[0]) return { type: 'fail', error: 'broken' };
        await held;
        return { type: 'complete' };
      });
      consumers.push(consumer);
      await waitFor('the failure', async () => (await reader.readStatus(ids[0]!))?.state === 'failed', {
        timeoutMs: 5000,
        intervalMs: 20,
      });
      await store.enqueue(newJob(queue, ids[1]), ids[1]!, TTL);
      await waitFor('the held job', () => seen.length >= 2, { timeoutMs: 5000, intervalMs: 20 });
      await store.enqueue(newJob(queue, ids[2], 0, { method: 'DELETE', path: '/user/2' }), ids[2]!, TTL);
      await store.enqueue(newJob(queue, ids[3]), ids[3]!, TTL);
      await store.enqueue(newJob(queue, ids[4], 60_000), ids[4]!, TTL);

      const all = await reader.listJobs({ queue, limit: 100 });
      const byState = (s: string) => all.filter((j) => j.state === s).map((j) => j.correlationId);
      expect(byState('waiting')).toEqual([ids[2], ids[3]]);
      expect(byState('delayed')).toEqual([ids[4]]);
      expect(byState('running')).toEqual([ids[1]]);
      expect(byState('failed')).toEqual([ids[0]]);
      const waiting = all.find((j) => j.correlationId === ids[2])!;
      expect(waiting).toMatchObject({ queue, state: 'waiting', kind: 'replay', method: 'DELETE', path: '/user/2' });
      expect(typeof waiting.id).toBe('string');
      expect(waiting.createdAt).toBeGreaterThan(Date.now() - 60_000);
      expect(all.find((j) => j.correlationId === ids[4])!.availableAt).toBeGreaterThan(Date.now() + 50_000);
      expect(all.find((j) => j.correlationId === ids[0])).toMatchObject({ state: 'failed', error: 'broken' });
      expect(JSON.stringify(all)).not.toContain('sealed:');

      expect(await reader.listJobs({ queue, state: 'waiting', limit: 1 })).toHaveLength(1);
      expect((await reader.listJobs({ queue, state: 'delayed', limit: 10 })).map((j) => j.correlationId)).toEqual([
        ids[4],
      ]);
      expect((await reader.listJobs({ state: 'waiting', limit: 1000 })).map((j) => j.correlationId)).toEqual(
        expect.arrayContaining([ids[2], ids[3]]),
      );

      const stats = (await reader.stats()).find((s) => s.queue === queue);
      expect(stats).toEqual({ queue, waiting: 2, delayed: 1, running: 1, failed: 1 });
      release();
      await waitFor('the held job to end', async () => (await reader.readStatus(ids[1]!))?.state !== 'running', {
        timeoutMs: 5000,
        intervalMs: 20,
      });
    });
  });
}
