import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobConsumer } from '../../lib/store/request-queue.store.js';
import { RedisStore } from '../../lib/store/redis/redis.store.js';
import { deleteRedisPrefix, Redis } from '../support/redis.js';
import { newJob, record, sleep } from './store-conformance.js';
import { waitFor } from '../support/wait-for.js';
import { REDIS_URL, uniqueName } from '../support/store-servers.js';

const LEASE_MS = 1500;
const TTL = 60_000;

/**
 * What the status conformance suite cannot see from outside: the Redis store's two-step
 * final write (a `pending` record around Bull's own move), the records' ownership when a
 * correlation id is reused, and queue discovery among the library's own keys.
 */
describe('Redis store: status records', () => {
  const prefix = uniqueName('rqtest');
  const statusKey = (id: string) => `${prefix}:request-queue:status:${id}`;
  let store: RedisStore;
  let redis: Redis;
  const consumers: JobConsumer[] = [];

  beforeAll(async () => {
    store = new RedisStore({ url: REDIS_URL, prefix, lockDuration: LEASE_MS });
    await store.init();
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop(0)));
    await store?.close();
    await redis?.quit();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  it('reads a pending final record as running while its Bull job still exists (worker died before the move)', async () => {
    const queue = uniqueName('q');
    const id = randomUUID();
    const jobId = (await store.enqueue(newJob(queue, id), id, TTL))!;
    // step (a) of a worker that then died: final state, outcome, pending mark, TTL
    await redis.hset(statusKey(id), 'state', 'completed', 'attempts', 1, 'result', 'sealed', 'pending', 1);
    await redis.pexpire(statusKey(id), 60_000);
    const running = await store.readStatus(id);
    expect(running).toMatchObject({ state: 'running', attempts: 1, queue, jobId });
    expect(running!.result).toBeUndefined();

    // the job in Bull's failed set: the pending final state holds
    await redis.hset(statusKey(id), 'state', 'failed');
    await redis.zadd(`${prefix}:${queue}:failed`, Date.now(), jobId);
    expect(await store.readStatus(id)).toMatchObject({ state: 'failed', result: 'sealed' });

    // the job gone (completed jobs are removed): likewise
    await redis.zrem(`${prefix}:${queue}:failed`, jobId);
    await redis.hset(statusKey(id), 'state', 'completed');
    await redis.del(`${prefix}:${queue}:${jobId}`);
    expect(await store.readStatus(id)).toMatchObject({ state: 'completed', result: 'sealed' });
  });

  it("runs a dead worker's pending job again: the take replaces the record, no TTL, and it completes", async () => {
    const queue = uniqueName('q');
    const id = randomUUID();
    await store.enqueue(newJob(queue, id), id, TTL);
    const first = await record(store, { queues: [queue] }, async () => {
      // the worker writes step (a), then dies before Bull's move (its lock is no longer renewed)
      await redis.hset(statusKey(id), 'state', 'completed', 'result', 'lost', 'pending', 1);
      await redis.pexpire(statusKey(id), 60_000);
      return new Promise(() => {});
    });
    await waitFor('the first attempt', () => first.seen.length >= 1, { timeoutMs: 5000, intervalMs: 20 });
    await waitFor('the pending mark', async () => (await redis.hget(statusKey(id), 'pending')) === '1', {
      timeoutMs: 3000,
      intervalMs: 20,
    });
    await first.consumer.stop(0);
    expect((await store.readStatus(id))!.state).toBe('running');

    const second = await record(store, { queues: [queue] }, () => ({
      type: 'complete',
      status: { result: 'sealed-2', keepMs: 60_000 },
    }));
    consumers.push(second.consumer);
    await waitFor('the job to run again', () => second.seen.length >= 1, {
      timeoutMs: 4 * LEASE_MS + 3000,
      intervalMs: 20,
    });
    const done = await waitFor(
      'the completed record',
      async () => {
        const r = await store.readStatus(id);
        return r?.state === 'completed' && r.result === 'sealed-2' ? r : null;
      },
      { timeoutMs: 5000, intervalMs: 20 },
    );
    // Bull does not count a stalled run as an attempt: the record counts what the worker was told
    expect(done.attempts).toBe(second.seen[0]!.attempt);
    expect(await redis.hexists(statusKey(id), 'pending')).toBe(0);
    expect(await redis.pttl(statusKey(id))).toBeGreaterThan(50_000);
  }, 20_000);

  it('writes no record for a callback job; a queued record has no TTL', async () => {
    const queue = uniqueName('q');
    const id = randomUUID();
    await store.enqueue(newJob(queue, id, 0, { kind: 'callback' }), id, TTL);
    expect(await store.readStatus(id)).toBeNull();

    const replay = randomUUID();
    await store.enqueue(newJob(queue, replay), replay, TTL);
    expect(await redis.pttl(statusKey(replay))).toBe(-1);
  });

  it('replaces the record when the id is enqueued again after its claim expired', async () => {
    const queue = uniqueName('q');
    const id = randomUUID();
    const firstJob = await store.enqueue(newJob(queue, id), id, 100, { fingerprint: 'fp-old' });
    await sleep(150);
    const secondJob = await store.enqueue(newJob(queue, id), id, TTL);
    const rec = await store.readStatus(id);
    expect(rec).toMatchObject({ state: 'queued', jobId: secondJob });
    expect(secondJob).not.toBe(firstJob);
    expect(rec!.fingerprint).toBeUndefined();
  });

  it("leaves a newer request's record alone when an old job of the same id runs", async () => {
    const oldQueue = uniqueName('q');
    const newQueue = uniqueName('q');
    const id = randomUUID();
    await store.enqueue(newJob(oldQueue, id), id, 100);
    await sleep(150);
    const jobId = await store.enqueue(newJob(newQueue, id), id, TTL);
    const { seen, consumer } = await record(store, { queues: [oldQueue] }, () => ({
      type: 'complete',
      status: { result: 'old-outcome', keepMs: 60_000 },
    }));
    consumers.push(consumer);
    await waitFor('the old job', () => seen.length >= 1, { timeoutMs: 5000, intervalMs: 20 });
    await sleep(200);
    const rec = await store.readStatus(id);
    expect(rec).toMatchObject({ state: 'queued', queue: newQueue, jobId });
    expect(rec!.result).toBeUndefined();
  });

  it('recreates a record that was gone when an operator retries its failed replay', async () => {
    const queue = uniqueName('q');
    const id = randomUUID();
    const job = newJob(queue, id);
    const jobId = await store.enqueue(job, id, TTL);
    const { seen, consumer } = await record(store, { queues: [queue], maxJobs: 1 }, () => ({
      type: 'fail',
      error: 'gave up',
      status: { result: 'sealed-f', keepMs: 60_000 },
    }));
    consumers.push(consumer);
    await waitFor('the failure', () => seen.length >= 1, { timeoutMs: 5000, intervalMs: 20 });
    await consumer.finished;
    await redis.del(statusKey(id));
    expect(await store.retryFailed([`${queue}:${jobId}`])).toBe(1);
    expect(await store.readStatus(id)).toMatchObject({
      state: 'queued',
      attempts: 0,
      queue,
      jobId,
      queuedAt: job.payload.queuedAt,
    });
    expect(await redis.pttl(statusKey(id))).toBe(-1);
  });

  it("finds queues by their keys, not the library's own (a correlation id ending in :failed)", async () => {
    const queue = uniqueName('q');
    expect(await store.claim(`${randomUUID()}:failed`, TTL)).toBe(true);
    expect(await store.claim(`${randomUUID()}:id`, TTL)).toBe(true);
    await store.enqueue(newJob(queue), randomUUID(), TTL);
    const stats = await store.stats();
    expect(stats.map((s) => s.queue)).toContain(queue);
    expect(stats.filter((s) => s.queue.startsWith('request-queue:'))).toEqual([]);
    await expect(store.listFailed()).resolves.toBeInstanceOf(Array);
    await expect(store.listJobs({ limit: 100 })).resolves.toBeInstanceOf(Array);
    expect(await store.flushFailed(0)).toBeGreaterThanOrEqual(0);
  });

  it('lists a retry waiting on its backoff as delayed until its new time', async () => {
    const queue = uniqueName('q');
    const id = randomUUID();
    await store.enqueue(newJob(queue, id), id, TTL);
    const before = Date.now();
    const { seen, consumer } = await record(store, { queues: [queue], maxJobs: 1 }, () => ({
      type: 'retry',
      error: 'later',
      delayMs: 30_000,
    }));
    consumers.push(consumer);
    await waitFor('the attempt', () => seen.length >= 1, { timeoutMs: 5000, intervalMs: 20 });
    await consumer.finished;
    const [delayed] = await store.listJobs({ queue, state: 'delayed', limit: 10 });
    expect(delayed).toMatchObject({ correlationId: id, attempts: 1 });
    expect(delayed!.availableAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(delayed!.availableAt).toBeLessThanOrEqual(Date.now() + 30_000);
  });
});
