import { randomBytes, randomUUID } from 'node:crypto';
import type Bull from 'bull';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JobPayload } from '../../lib/core/job.js';
import { callbackLane } from '../../lib/core/callback-lane.js';
import { bullLoop } from '../../lib/store/redis/bull-loop.js';
import { RedisSettler, type SettleCommand } from '../../lib/store/redis/redis-settle.js';
import { SETTLE_LUA } from '../../lib/store/redis/settle.lua.js';
import { RedisStore } from '../../lib/store/redis/redis.store.js';
import { deleteRedisPrefix, Redis } from '../support/redis.js';
import { ChannelRecorder, queueSnapshot } from './support/redis-snapshot.js';

/**
 * `enqueue.lua.ts` writes Bull 4's data layout itself, and `redis.store.ts` resets a job's
 * `attemptsMade` in Bull's job hash: here each is done side by side with Bull's own
 * `queue.add` / `job.retry` on a real Redis, under two prefixes, and the two results compared
 * key by key (job hash, wait/paused list, delayed set with its scores) and message by message
 * (what Bull's workers and `global:` listeners subscribe to). Run by `npm test` on the bull
 * in node_modules and by `npm run test:compat` on the lowest supported one.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'parity';
/** Job ids start past 0xfff, so the delayed score's `jobId & 0xfff` part is not just the id. */
const FIRST_ID = 4100;

function payload(): JobPayload {
  return {
    v: 1,
    kind: 'replay',
    correlationId: randomUUID(),
    method: 'PATCH',
    path: '/parity/1',
    callbackUrl: 'https://receiver.example/callback',
    queuedAt: Date.now(),
    tries: 3,
    backoff: { type: 'exponential', delay: 1000 },
    timeout: 30_000,
    sealed: randomBytes(64).toString('base64url'),
  };
}

/** One prefix: a store (ours), its Bull queue, and a recorder of what is published under it. */
interface Side {
  prefix: string;
  store: RedisStore;
  queue: Bull.Queue<JobPayload>;
  events: ChannelRecorder;
}

describe('Bull parity of the jobs the redis driver writes itself', () => {
  let redis: Redis;
  let ours: Side;
  let bulls: Side;

  async function side(label: string): Promise<Side> {
    const prefix = `rqparity-${label}-${randomBytes(4).toString('hex')}`;
    const store = new RedisStore({ url: REDIS_URL, prefix });
    await store.init();
    const queue = store.queue(QUEUE);
    await queue.isReady();
    await redis.set(`${prefix}:${QUEUE}:id`, FIRST_ID);
    return { prefix, store, queue, events: await new ChannelRecorder(REDIS_URL, prefix).start() };
  }

  async function closeSide(s: Side | undefined): Promise<void> {
    if (!s) return;
    await s.events.close();
    await s.store.close();
    await deleteRedisPrefix(REDIS_URL, s.prefix);
  }

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await redis?.quit();
  });

  beforeEach(async () => {
    ours = await side('ours');
    bulls = await side('bull');
  });

  afterEach(async () => {
    await closeSide(ours);
    await closeSide(bulls);
  });

  /** Enqueues through `enqueue.lua.ts`, then the same job (same data and options) through Bull's `queue.add`. */
  async function addBoth(delayMs: number): Promise<{ id: string; data: JobPayload }> {
    const data = payload();
    const id = await ours.store.enqueue({ queue: QUEUE, payload: data, delayMs }, data.correlationId, 60_000);
    expect(id).toBe(String(FIRST_ID + 1));
    const opts = JSON.parse((await redis.hget(`${ours.prefix}:${QUEUE}:${id}`, 'opts'))!) as Bull.JobOptions;
    const added = await bulls.queue.add(data, opts);
    expect(String(added.id)).toBe(id);
    return { id: id!, data };
  }

  /** Both sides' queue keys and messages so far; each side's are compared with the other's. */
  async function both() {
    return {
      ours: { keys: await queueSnapshot(redis, ours.prefix, QUEUE), events: await ours.events.settle(redis) },
      bull: { keys: await queueSnapshot(redis, bulls.prefix, QUEUE), events: await bulls.events.settle(redis) },
    };
  }

  it('a plain job: the same hash, the same wait list, the same `waiting` message', async () => {
    const { id, data } = await addBoth(0);
    const seen = await both();
    expect(seen.ours).toEqual(seen.bull);
    // What the comparison covered, spelled out.
    expect(Object.keys(seen.ours.keys).sort()).toEqual([id, 'id', 'wait']);
    expect(seen.ours.keys.wait).toEqual([id]);
    expect(seen.ours.keys[id]).toMatchObject({
      name: '__default__',
      data: JSON.stringify(data),
      delay: '0',
      priority: '0',
    });
    expect(seen.ours.events).toEqual([[`${QUEUE}:waiting@<token>`, id]]);
    // Bull reads both jobs back the same.
    const [mine, theirs] = await Promise.all([ours.queue.getJob(id), bulls.queue.getJob(id)]);
    expect(mine!.toJSON()).toEqual(theirs!.toJSON());
    expect(await mine!.getState()).toBe('waiting');
  });

  it('a delayed job: the same hash, the same delayed-set score (at * 0x1000 + id & 0xfff), the same message', async () => {
    const { id } = await addBoth(60_000);
    const seen = await both();
    expect(seen.ours).toEqual(seen.bull);
    expect(Object.keys(seen.ours.keys).sort()).toEqual([id, 'delayed', 'id']);
    const hash = seen.ours.keys[id] as Record<string, string>;
    const at = Number(hash.timestamp) + 60_000;
    expect(seen.ours.keys.delayed).toEqual([id, String(at * 0x1000 + (Number(id) & 0xfff))]);
    expect(seen.ours.events).toEqual([[`${QUEUE}:delayed`, String(at)]]);
    expect(hash.delay).toBe('60000');
    expect(await (await ours.queue.getJob(id))!.getState()).toBe('delayed');
  });

  it('a job added while the queue is paused: both go to the paused list', async () => {
    await ours.queue.pause();
    await bulls.queue.pause();
    await both(); // the `paused` messages, the same on both sides
    const { id } = await addBoth(0);
    const seen = await both();
    expect(seen.ours).toEqual(seen.bull);
    expect(seen.ours.keys.paused).toEqual([id]);
    expect(seen.ours.keys.wait).toBeUndefined();
  });

  it('a failed job retried: our reset of attemptsMade and stalledCounter is the only difference from Bull`s own retry', async () => {
    const { id } = await addBoth(0);
    // Both taken and failed as a worker of ours does (redis-job-source.ts: discard, moveToFailed).
    for (const s of [ours, bulls]) {
      const job = (await bullLoop(s.queue).take())?.job;
      expect(String(job!.id)).toBe(id);
      void job!.discard(); // sets a flag (typed as a promise by Bull)
      await job!.moveToFailed({ message: 'boom' }, false);
    }
    const failed = await both();
    expect(failed.ours).toEqual(failed.bull);
    expect(failed.ours.keys.failed).toEqual([id, '<ms>']);
    expect((failed.ours.keys[id] as Record<string, string>).attemptsMade).toBe('1');

    expect(await ours.store.retryFailed([`${QUEUE}:${id}`])).toBe(1);
    await (await bulls.queue.getJob(id))!.retry();
    const retried = await both();
    const mine = retried.ours.keys[id] as Record<string, string>;
    const theirs = retried.bull.keys[id] as Record<string, string>;
    expect(mine.attemptsMade).toBe('0');
    expect(theirs.attemptsMade).toBe('1'); // Bull's retry keeps the count: hence our reset
    // Our retry also zeroes the lost-lease count (poison isolation), which Bull's leaves alone.
    const { stalledCounter, ...rest } = mine;
    expect(stalledCounter).toBe('0');
    expect({ ...rest, attemptsMade: '1' }).toEqual(theirs);
    expect({ ...retried.ours.keys, [id]: null }).toEqual({ ...retried.bull.keys, [id]: null });
    expect(retried.ours.events).toEqual(retried.bull.events);
    expect(retried.ours.keys.wait).toEqual([id]);
    // Bull reads the reset count as a number, and the next take counts attempts from it.
    const again = await bullLoop(ours.queue).take();
    expect(again!.job.attemptsMade).toBe(0);
  });

  /**
   * What a worker of ours does when a replay ends (`SETTLE_LUA`, one script), side by side
   * with what it asked of Bull before: `moveToCompleted` (or `discard` + `moveToFailed`) and
   * `queue.add` of the callback job on the lane. Both lanes start at the same id.
   */
  async function settleBoth(outcome: 'completed' | 'failed'): Promise<{ id: string; laneId: string }> {
    const { id } = await addBoth(0);
    const lane = callbackLane(QUEUE);
    for (const s of [ours, bulls]) await redis.set(`${s.prefix}:${lane}:id`, FIRST_ID);
    const next = payload();
    const taken = await Promise.all([ours, bulls].map(async (s) => (await bullLoop(s.queue).take())!));
    const settler = new RedisSettler(
      () => redis as Redis & SettleCommand,
      ours.prefix,
      (ours.queue as unknown as { token: string }).token,
    );
    redis.defineCommand('rqSettle', { lua: SETTLE_LUA });
    await settler.settle({
      queue: QUEUE,
      jobId: id,
      lockToken: taken[0]!.lockToken,
      outcome,
      failedReason: outcome === 'failed' ? 'HTTP 500 at https://api.example/x' : undefined,
      next: { queue: lane, payload: next, delayMs: 0 },
    });
    const theirs = taken[1]!.job;
    if (outcome === 'completed') await theirs.moveToCompleted(undefined, false, true);
    else {
      void theirs.discard(); // sets a flag (typed as a promise by Bull, settles at once)
      await theirs.moveToFailed(new Error('HTTP 500 at https://api.example/x'), false); // as the worker did
    }
    const opts = JSON.parse((await redis.hget(`${ours.prefix}:${lane}:${FIRST_ID + 1}`, 'opts'))!) as Bull.JobOptions;
    const added = await bulls.store.queue(lane).add(next, opts);
    return { id, laneId: String(added.id) };
  }

  /** Both sides after a settle: the queue, the lane, and the messages (JSON bodies parsed). */
  async function bothWithLane() {
    const lane = callbackLane(QUEUE);
    const side = async (s: Side) => ({
      keys: await queueSnapshot(redis, s.prefix, QUEUE),
      lane: await queueSnapshot(redis, s.prefix, lane),
      events: (await s.events.settle(redis)).map(([channel, message]) => [
        channel,
        message.startsWith('{') ? (JSON.parse(message) as unknown) : message,
      ]),
    });
    return { ours: await side(ours), bull: await side(bulls) };
  }

  it('a completed replay with its callback job: the same as Bull`s moveToCompleted and queue.add', async () => {
    const { id, laneId } = await settleBoth('completed');
    const seen = await bothWithLane();
    expect(seen.ours).toEqual(seen.bull);
    expect(seen.ours.keys[id]).toBeUndefined(); // removed on complete
    expect(seen.ours.lane.wait).toEqual([laneId]);
    expect(seen.ours.events).toContainEqual([`${QUEUE}:completed`, { jobId: id }]);
  });

  it('a failed replay with its callback job: the same as Bull`s discard + moveToFailed and queue.add, but the stack', async () => {
    const { id, laneId } = await settleBoth('failed');
    const seen = await bothWithLane();
    const mine = seen.ours.keys[id] as Record<string, string>;
    const theirs = seen.bull.keys[id] as Record<string, string>;
    // Bull keeps the stack of the Error object it was handed; the script has only the reason.
    expect(JSON.parse(mine.stacktrace!)).toEqual(['Error: HTTP 500 at https://api.example/x']);
    expect((JSON.parse(theirs.stacktrace!) as string[])[0]).toMatch(/^Error: HTTP 500 at https:\/\/api.example\/x\n/);
    expect({ ...seen.ours, keys: { ...seen.ours.keys, [id]: { ...mine, stacktrace: null } } }).toEqual({
      ...seen.bull,
      keys: { ...seen.bull.keys, [id]: { ...theirs, stacktrace: null } },
    });
    expect(mine).toMatchObject({ attemptsMade: '1', failedReason: 'HTTP 500 at https://api.example/x' });
    expect(seen.ours.keys.failed).toEqual([id, '<ms>']);
    expect(seen.ours.lane.wait).toEqual([laneId]);
    const job = await ours.queue.getJob(id);
    expect(await job!.getState()).toBe('failed');
    expect(job!.failedReason).toBe('HTTP 500 at https://api.example/x');
  });

  it('a callback job handed over by the settle: as Bull leaves a job it added, then took (`moveToActive`), without the `waiting` message', async () => {
    const { id } = await addBoth(0);
    const lane = callbackLane(QUEUE);
    for (const s of [ours, bulls]) await redis.set(`${s.prefix}:${lane}:id`, FIRST_ID);
    const next = payload();
    const taken = await Promise.all([ours, bulls].map(async (s) => (await bullLoop(s.queue).take())!));
    redis.defineCommand('rqSettle', { lua: SETTLE_LUA });
    const settler = new RedisSettler(
      () => redis as Redis & SettleCommand,
      ours.prefix,
      (ours.queue as unknown as { token: string }).token,
    );
    const ourLane = bullLoop(ours.store.queue(lane));
    const handed = await settler.settle({
      queue: QUEUE,
      jobId: id,
      lockToken: taken[0]!.lockToken,
      outcome: 'completed',
      next: { queue: lane, payload: next, delayMs: 0 },
      handOver: { lockToken: ourLane.token, lockDuration: 30_000 },
    });
    expect(handed?.id).toBe(String(FIRST_ID + 1));
    // Bull: complete, add the callback job, take it.
    await taken[1]!.job.moveToCompleted(undefined, false, true);
    const opts = JSON.parse((await redis.hget(`${ours.prefix}:${lane}:${handed!.id}`, 'opts'))!) as Bull.JobOptions;
    await bulls.store.queue(lane).add(next, opts);
    const theirs = (await bullLoop(bulls.store.queue(lane)).take())!;
    expect(String(theirs.job.id)).toBe(handed!.id);

    const seen = await bothWithLane();
    const lock = `${handed!.id}:lock`;
    // Each side's lock holds its own lane queue's token.
    expect(seen.ours.lane[lock]).toBe(ourLane.token);
    for (const side of [seen.ours, seen.bull]) side.lane[lock] = '<token>';
    expect(seen.ours.keys).toEqual(seen.bull.keys);
    expect(seen.ours.lane).toEqual(seen.bull.lane);
    expect(seen.ours.lane.active).toEqual([handed!.id]);
    expect(seen.ours.lane.wait).toBeUndefined();
    // Bull's add says `waiting` before its take says `active`; the hand-over says only `active`.
    const waiting = `${lane}:waiting@<token>`;
    expect(seen.bull.events.filter(([channel]) => channel !== waiting)).toEqual(seen.ours.events);
    expect(seen.ours.events).toContainEqual([`${lane}:active@<token>`, handed!.id]);
    // Bull reads it as active, and the worker builds the job as `moveToActive` built Bull's.
    expect(await (await ours.store.queue(lane).getJob(handed!.id))!.getState()).toBe('active');
    const built = await ourLane.handedOver(handed!.hash, handed!.id);
    expect({ ...built.job.toJSON(), processedOn: null }).toEqual({ ...theirs.job.toJSON(), processedOn: null });
    expect(built.lockToken).toBe(ourLane.token);
  });
});
