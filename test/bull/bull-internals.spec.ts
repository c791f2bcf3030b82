import { randomBytes, randomUUID } from 'node:crypto';
import type Bull from 'bull';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobPayload } from '../../lib/core/job.js';
import { bullLoop } from '../../lib/store/redis/bull-loop.js';
import { RedisStore } from '../../lib/store/redis/redis.store.js';
import { deleteRedisPrefix, Redis } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

/**
 * `lib/store/redis/bull-loop.ts` drives five `Queue` methods (and `Job#moveToDelayed`, for a release) that Bull 4 leaves out of its
 * typings. One test per method, on a real Redis, of exactly what the redis driver relies on,
 * with jobs stored the way the driver stores them (`enqueue.lua.ts`). Run by `npm test` and,
 * on the lowest supported bull, by `npm run test:compat`.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'internals';
/** Short, so that Bull's stalled-job check (every `lockDuration`, as the store sets it) comes round often. */
const LOCK_MS = 300;

function payload(n: number): JobPayload {
  return {
    v: 1,
    kind: 'replay',
    correlationId: randomUUID(),
    method: 'PUT',
    path: `/internals/${n}`,
    callbackUrl: 'https://receiver.example/callback',
    queuedAt: Date.now(),
    tries: 1,
    backoff: { type: 'fixed', delay: 0 },
    timeout: 1000,
    sealed: randomBytes(16).toString('base64url'),
  };
}

describe('the Bull internals the redis driver drives (bull-loop.ts)', () => {
  let prefix: string;
  let store: RedisStore;
  let queue: Bull.Queue<JobPayload>;
  let redis: Redis;
  const key = (...parts: string[]) => [prefix, QUEUE, ...parts].join(':');
  const add = async (n: number, delayMs = 0) => {
    const data = payload(n);
    return (await store.enqueue({ queue: QUEUE, payload: data, delayMs }, data.correlationId, 60_000))!;
  };
  /** The private method itself, as bull-loop.ts calls it. */
  const internal = <K extends string>(name: K) =>
    (queue as unknown as Record<K, () => Promise<unknown>>)[name].bind(queue);
  const token = () => (queue as unknown as { token: string }).token;

  beforeEach(async () => {
    prefix = `rqinternals-${randomBytes(4).toString('hex')}`;
    store = new RedisStore({ url: REDIS_URL, prefix, lockDuration: LOCK_MS });
    await store.init();
    queue = store.queue(QUEUE);
    await queue.isReady();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  afterEach(async () => {
    await store?.close();
    await redis?.quit();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  it('bullLoop finds all five methods on this bull', () => {
    for (const name of [
      '_initProcess',
      'moveUnlockedJobsToWait',
      'startMoveUnlockedJobsToWait',
      'moveToActive',
      'nextJobFromJobData',
    ]) {
      expect(typeof (queue as unknown as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(() => bullLoop(queue)).not.toThrow();
  });

  it('moveToActive: takes waiting jobs oldest first, under this queue`s lock, without blocking; null when none is due', async () => {
    const first = await add(1);
    const second = await add(2);
    const later = await add(3, 60_000);
    const take = internal('moveToActive') as () => Promise<Bull.Job<JobPayload> | null>;

    const a = await take();
    expect(String(a!.id)).toBe(first);
    expect(a!.data.path).toBe('/internals/1'); // the data parsed back from our JSON
    expect(a!.attemptsMade).toBe(0);
    expect(await redis.get(key(first, 'lock'))).toBe(token());
    expect(Number(await redis.pttl(key(first, 'lock')))).toBeGreaterThan(0);
    expect(await redis.lrange(key('active'), 0, -1)).toEqual([first]);

    expect(String((await take())!.id)).toBe(second);
    expect(await take()).toBeNull(); // the delayed one is not due: no block, no error
    expect(await redis.zscore(key('delayed'), later)).not.toBeNull();

    // A paused queue hands out nothing.
    await queue.pause();
    await add(4);
    expect(await take()).toBeNull();
  });

  it('nextJobFromJobData: gets the job hash moveToActive read, so take() reports Bull`s stalledCounter', async () => {
    const fresh = await add(1);
    const stalled = await add(2);
    await redis.hset(key(stalled), 'stalledCounter', '2'); // as Bull's stalled check leaves it
    const loop = bullLoop(queue);
    const a = await loop.take();
    expect([String(a!.job.id), a!.stalledCounter]).toEqual([fresh, 0]);
    const b = await loop.take();
    expect([String(b!.job.id), b!.stalledCounter]).toEqual([stalled, 2]);
    expect(b!.job.data.path).toBe('/internals/2');
    // Queue#token: what the lock holds, which the settle script (settle.lua.ts) checks.
    expect(b!.lockToken).toBe(token());
    expect(await redis.get(key(stalled, 'lock'))).toBe(b!.lockToken);
  });

  it('Job#moveToDelayed (a release by flow control): active to delayed under our lock, attempts and stalled count untouched', async () => {
    const id = await add(1);
    await redis.hset(key(id), 'stalledCounter', '1');
    const before = await redis.hmget(key(id), 'attemptsMade', 'stalledCounter');
    const taken = (await bullLoop(queue).take())!;
    const at = Date.now() + 60_000;
    await (taken.job as Bull.Job<JobPayload> & { moveToDelayed(at: number): Promise<void> }).moveToDelayed(at);
    expect(await redis.lrange(key('active'), 0, -1)).toEqual([]);
    expect(Number(await redis.zscore(key('delayed'), id))).toBe(at * 0x1000 + (Number(id) & 0xfff));
    expect(await redis.hmget(key(id), 'attemptsMade', 'stalledCounter')).toEqual(before);
    expect(before[1]).toBe('1');
    // Another worker's lock refuses the move: a job whose lease was lost is not moved from under
    // it. (Bull 4.16 answers that silently: its script's -6 is not one of the codes it throws for.)
    const other = await add(2);
    const held = (await bullLoop(queue).take())!;
    expect(String(held.job.id)).toBe(other);
    await redis.set(key(other, 'lock'), 'another-worker');
    await (held.job as Bull.Job<JobPayload> & { moveToDelayed(at: number): Promise<void> })
      .moveToDelayed(at)
      .catch(() => {});
    expect(await redis.lrange(key('active'), 0, -1)).toEqual([other]);
    expect(await redis.zscore(key('delayed'), other)).toBeNull();
  });

  it('_initProcess: promotes a delayed job to wait once it is due, and announces it', async () => {
    const announced: string[] = [];
    queue.on('global:waiting', (id: string | number) => announced.push(String(id)));
    await internal('_initProcess')();
    const id = await add(1, 200);
    expect(await redis.lrange(key('wait'), 0, -1)).toEqual([]);
    await waitFor('the delayed job in wait', async () => (await redis.lrange(key('wait'), 0, -1)).includes(id));
    expect(await redis.lrange(key('wait'), 0, -1)).toContain(id);
    expect(await redis.zscore(key('delayed'), id)).toBeNull();
    await waitFor('the global:waiting event', () => announced.includes(id));
    expect(announced).toContain(id);
  });

  it('moveUnlockedJobsToWait: puts back a job whose worker lost its lock, and leaves a locked one alone', async () => {
    const lost = await add(1);
    const held = await add(2);
    const take = internal('moveToActive') as () => Promise<Bull.Job<JobPayload> | null>;
    await take();
    const holding = await take();
    await redis.del(key(lost, 'lock')); // as if its worker died and the lock lapsed
    const moveUnlocked = internal('moveUnlockedJobsToWait');
    // Bull's check takes two rounds (a job is suspected, then moved), at most one per stalledInterval.
    const back = await waitFor(
      'the lost job back in wait',
      async () => {
        // The live worker keeps renewing (Job#extendLock is typed only from bull 4.12.0 on).
        await (holding as Bull.Job<JobPayload> & { extendLock(ms: number): Promise<unknown> }).extendLock(LOCK_MS * 10);
        await moveUnlocked();
        return (await redis.lrange(key('wait'), 0, -1)).includes(lost);
      },
      { timeoutMs: 5_000 },
    );
    expect(back).toBe(true);
    expect(await redis.lrange(key('active'), 0, -1)).toEqual([held]);
    expect(String((await take())!.id)).toBe(lost); // and runs again (at least once)
  });

  it('startMoveUnlockedJobsToWait: keeps doing so on its own, every stalledInterval', async () => {
    const lost = await add(1);
    await (internal('moveToActive') as () => Promise<Bull.Job<JobPayload> | null>)();
    await redis.del(key(lost, 'lock'));
    (queue as unknown as { startMoveUnlockedJobsToWait(): void }).startMoveUnlockedJobsToWait();
    await waitFor('the lost job back in wait', async () => (await redis.lrange(key('wait'), 0, -1)).includes(lost));
    expect(await redis.lrange(key('wait'), 0, -1)).toContain(lost);
  });
});
