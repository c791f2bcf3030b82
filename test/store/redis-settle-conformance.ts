import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackLane } from '../../lib/core/callback-lane.js';
import type { JobResult, ReservedJob } from '../../lib/core/job.js';
import { minuteOf } from '../../lib/core/request-status.js';
import { bullLoop } from '../../lib/store/redis/bull-loop.js';
import { RedisSettler, type SettleCommand, type Settlement } from '../../lib/store/redis/redis-settle.js';
import { RedisStore } from '../../lib/store/redis/redis.store.js';
import { SETTLE_LUA } from '../../lib/store/redis/settle.lua.js';
import type { JobConsumer } from '../../lib/store/request-queue.store.js';
import { deleteRedisPrefix, Redis } from '../support/redis.js';
import { newJob, record, sleep } from './store-conformance.js';
import { REDIS_URL, uniqueName } from '../support/store-servers.js';
import { waitFor } from '../support/wait-for.js';

/** Short, so that a job left to its lease runs again soon (Bull's stalled check runs this often). */
const LEASE_MS = 600;
const TTL = 60_000;
const SEALED = { result: 'sealed-outcome', keepMs: 60_000 };

/** Redis (a single server, or a cluster) under a prefix of its own, for `describeRedisSettle`. */
export interface SettleTarget {
  readonly prefix: string;
  open(leaseMs: number): Promise<RedisStore>;
  /** A client of the test's own on the same data (a Cluster client on a cluster). */
  client(): Redis;
  /** A connection to the server (node) that holds the prefix's slot, for MONITOR. */
  node(): Promise<Redis>;
  drop(): Promise<void>;
}

/**
 * The store contract's "complete this job and store its next one" is atomic (one Lua
 * script, `SETTLE_LUA`), on the Redis driver: the replay's move out of active, its callback
 * job and its final status record land together, in one command, or not at all.
 */
export function describeRedisSettle(label: string, makeTarget: () => SettleTarget): void {
  describe(`atomic settle (complete or fail with the next job): ${label}`, () => {
    let t: SettleTarget;
    let store: RedisStore;
    let raw: Redis;
    const consumers: JobConsumer[] = [];
    const key = (...parts: string[]) => [t.prefix, ...parts].join(':');
    const statusKey = (id: string) => key('request-queue', 'status', id);

    beforeAll(async () => {
      t = makeTarget();
      store = await t.open(LEASE_MS);
      raw = t.client();
    });

    afterAll(async () => {
      await Promise.all(consumers.map((c) => c.stop(0)));
      await store?.close();
      await raw?.quit().catch(() => raw.disconnect());
      await t?.drop();
    });

    /** The replay answers `outcome` with its callback job on the lane; the callback completes. */
    function replayThenCallback(queue: string, id: string, outcome: 'complete' | 'fail' = 'complete') {
      return (j: ReservedJob): JobResult => {
        if (j.payload.kind !== 'replay') return { type: 'complete' };
        const next = newJob(callbackLane(queue), id, 0, {
          kind: 'callback',
          webhookId: `msg_${id}`,
          queuedAt: j.payload.queuedAt,
        });
        return outcome === 'complete'
          ? { type: 'complete', next, status: SEALED }
          : { type: 'fail', error: 'HTTP 500', next, status: SEALED };
      };
    }

    async function consume(...args: Parameters<typeof record> extends [unknown, ...infer R] ? R : never) {
      const r = await record(store, ...args);
      consumers.push(r.consumer);
      return r;
    }

    it('is one command: the job key, its status record and its callback queue in one script call', async () => {
      const queue = uniqueName('q');
      const lane = callbackLane(queue);
      // A first request, so that every script is cached on the server (no NOSCRIPT retry below).
      const warm = randomUUID();
      await store.enqueue(newJob(queue, warm), warm, TTL);
      const first = await consume({ queues: [queue] }, replayThenCallback(queue, warm));
      await waitFor('the warm-up request and its callback', () => first.seen.length >= 2, { timeoutMs: 10_000 });
      await first.consumer.stop(1000);

      const node = await t.node();
      const commands: string[][] = [];
      const monitor = await node.monitor();
      // What clients sent (MONITOR also shows the commands a script runs, from `lua`).
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua') commands.push(args);
      });
      try {
        const id = randomUUID();
        const jobId = (await store.enqueue(newJob(queue, id), id, TTL))!;
        const { seen, consumer } = await consume({ queues: [queue] }, replayThenCallback(queue, id));
        await waitFor('the request and its callback', () => seen.length >= 2, { timeoutMs: 10_000 });
        await consumer.stop(1000);
        const marker = key('marker', randomUUID());
        await raw.get(marker);
        await waitFor('the marker command', () => commands.some((c) => c.includes(marker)), { timeoutMs: 5000 });

        const jobKey = key(queue, jobId);
        const laneId = key(lane, 'id');
        const withJob = commands.filter((c) => c.includes(jobKey));
        expect(withJob).toHaveLength(1); // the job key, exactly: only the settle names it
        const settle = withJob[0]!;
        expect(settle[0]!.toLowerCase()).toBe('evalsha');
        expect(settle).toContain(statusKey(id));
        expect(settle).toContain(laneId);
        // Every command that names the status record, in order: nothing at the take (a reader
        // sees `running` from the job's lock) nor between it and the settle, no mark removed
        // after it; the callback delivery's settle then adds its entry in the same script as
        // its move (no separate timeline command).
        const kinds = commands
          .filter((c) => c.includes(statusKey(id)))
          .map((c) =>
            c === settle
              ? 'settle'
              : c.includes(key(queue, 'wait'))
                ? 'enqueue'
                : c.includes('running')
                  ? 'running'
                  : c[0]!.toLowerCase() === 'evalsha' && c.includes(key(lane, 'active'))
                    ? 'lane settle'
                    : c.join(' '),
          );
        expect(kinds).toEqual(['enqueue', 'settle', 'lane settle']);
        const record = await store.readStatus(id);
        expect(record).toMatchObject({ state: 'completed', result: SEALED.result });
        expect(record?.timeline?.map((e) => e.kind)).toContain('callback');
      } finally {
        monitor.disconnect();
        node.disconnect();
      }
    });

    it("hands a replay's callback job to the worker that settles it: active under its lock, run next in the same slot; if that worker dies, another runs it", async () => {
      const queue = uniqueName('q');
      const lane = callbackLane(queue);
      const id = randomUUID();
      await store.enqueue(newJob(queue, id), id, TTL);
      let dying = false;
      let whileRunning: { active: string[]; waiting: number; locked: boolean } | undefined;
      const hang = new Promise<JobResult>(() => {}); // the first worker never finishes its delivery
      const first = await consume({ queues: [queue] }, async (j) => {
        if (j.payload.kind === 'replay') return replayThenCallback(queue, id)(j);
        whileRunning = {
          active: await raw.lrange(key(lane, 'active'), 0, -1),
          waiting: await raw.llen(key(lane, 'wait')),
          locked: (await raw.exists(key(lane, j.id, 'lock'))) === 1,
        };
        dying = true;
        return hang;
      });
      await waitFor('the handed-over delivery running', () => dying, { timeoutMs: 10_000 });
      const [replay, delivery] = first.seen;
      expect(first.seen.map((j) => j.payload.kind)).toEqual(['replay', 'callback']);
      expect(delivery).toMatchObject({ queue: lane, attempt: 1, leaseLosses: 0 });
      expect(delivery!.payload.correlationId).toBe(replay!.payload.correlationId);
      // Never queued: stored active under the worker's lock by the replay's settle.
      expect(whileRunning).toEqual({ active: [delivery!.id], waiting: 0, locked: true });
      expect(await store.readStatus(id)).toMatchObject({ state: 'completed', result: SEALED.result });

      // The worker dies (its lease is no longer renewed): the lock lapses, Bull's stalled
      // check puts the job back, and another worker delivers it.
      await first.consumer.stop(0);
      const second = await consume({ queues: [queue] }, () => ({ type: 'complete' }));
      await waitFor('the delivery run again elsewhere', () => second.seen.length >= 1, { timeoutMs: 15_000 });
      expect(second.seen[0]).toMatchObject({ id: delivery!.id, queue: lane, leaseLosses: 1 });
      await waitFor('the lane empty', async () => (await raw.llen(key(lane, 'active'))) === 0, { timeoutMs: 5000 });
      const record = await store.readStatus(id);
      expect(record?.timeline?.filter((e) => e.kind === 'callback')).toHaveLength(1);
    });

    it('does not hand a callback job over while its lane is paused: it waits in the paused list', async () => {
      const queue = uniqueName('q');
      const lane = callbackLane(queue);
      const id = randomUUID();
      await store.queue(lane).pause();
      await store.enqueue(newJob(queue, id), id, TTL);
      const { seen } = await consume({ queues: [queue] }, replayThenCallback(queue, id));
      await waitFor('the replay settled', async () => (await store.readStatus(id))?.state === 'completed', {
        timeoutMs: 10_000,
      });
      await sleep(300);
      expect(seen.map((j) => j.payload.kind)).toEqual(['replay']);
      expect(await raw.llen(key(lane, 'paused'))).toBe(1);
      expect(await raw.llen(key(lane, 'active'))).toBe(0);
      await store.queue(lane).resume();
      await waitFor('the delivery after the resume', () => seen.length >= 2, { timeoutMs: 10_000 });
      expect(seen[1]).toMatchObject({ queue: lane, attempt: 1 });
    });

    it("a delivery's timeline line goes only to its own request's record, and never blocks the settle", async () => {
      const queue = uniqueName('q');
      const lane = callbackLane(queue);
      // A: its record is a newer request's (another queuedAt); B: its key holds a string.
      const [a, b] = [randomUUID(), randomUUID()];
      await store.enqueue(newJob(queue, a), a, TTL);
      const queuedAt = Number(await raw.hget(statusKey(a), 'queuedAt'));
      await raw.set(statusKey(b), 'not a hash', 'PX', 60_000);
      for (const [id, at] of [
        [a, queuedAt - 1],
        [b, queuedAt],
      ] as const) {
        const job = newJob(lane, id, 0, { kind: 'callback', webhookId: `msg_${id}`, queuedAt: at });
        await store.enqueue(job, randomUUID(), TTL);
      }
      const errors: Error[] = [];
      const { seen } = await consume({ queues: [lane], onError: (e) => errors.push(e) }, () => ({ type: 'complete' }));
      await waitFor(
        'both deliveries settled',
        async () =>
          (await raw.llen(key(lane, 'active'))) === 0 && seen.filter((j) => j.payload.kind === 'callback').length === 2,
        {
          detail: () => JSON.stringify({ seen: seen.map((j) => j.payload.kind), errors: errors.map((e) => e.message) }),
          timeoutMs: 10_000,
        },
      );
      expect(errors).toEqual([]);
      expect(await raw.hget(statusKey(a), 'timeline')).not.toMatch(/callback/);
      expect(await raw.get(statusKey(b))).toBe('not a hash');
    });

    it('a settle refused (the lock was lost) stores nothing: no callback, no final record; the rerun stores it once', async () => {
      const queue = uniqueName('q');
      const lane = callbackLane(queue);
      const id = randomUUID();
      const jobId = (await store.enqueue(newJob(queue, id), id, TTL))!;
      const lockKey = key(queue, jobId, 'lock');
      const errors: Error[] = [];
      const answer = replayThenCallback(queue, id);
      const { seen } = await consume({ queues: [queue], onError: (e) => errors.push(e) }, async (j) => {
        if (j.payload.kind === 'replay' && j.attempt === 1) {
          // Its lease lapsed meanwhile and another worker holds the job now.
          await raw.set(lockKey, 'another-worker', 'PX', 60_000);
        }
        return answer(j);
      });
      await waitFor('the refused settle', () => errors.length >= 1, { timeoutMs: 10_000 });
      expect(errors[0]!.message).toMatch(`Lock mismatch for job ${jobId}`);
      expect(await raw.exists(key(lane, 'id'), key(lane, 'wait'))).toBe(0);
      expect(await raw.lrange(key(queue, 'active'), 0, -1)).toEqual([jobId]);
      expect(await raw.exists(key(queue, jobId))).toBe(1);
      expect(await raw.get(lockKey)).toBe('another-worker');
      expect(await store.readStatus(id)).toMatchObject({ state: 'running', attempts: 1 });

      // The other worker is gone too: the lock lapses, the job runs again, and this time it
      // completes with its callback stored, once.
      await raw.del(lockKey);
      await waitFor('the callback after the rerun', () => seen.some((j) => j.payload.kind === 'callback'), {
        timeoutMs: 15_000,
      });
      await sleep(300);
      expect(seen.map((j) => `${j.payload.kind} ${j.attempt}`)).toEqual(['replay 1', 'replay 2', 'callback 1']);
      expect(await store.readStatus(id)).toMatchObject({ state: 'completed', result: SEALED.result });
    });

    it('a settle that would fail half-way (a key of another type) is refused before its first write', async () => {
      const queue = uniqueName('q');
      const lane = callbackLane(queue);
      const id = randomUUID();
      const jobId = (await store.enqueue(newJob(queue, id), id, TTL))!;
      const throughput = [0, 1].map((m) =>
        key('request-queue', 'throughput', String(minuteOf(Date.now()) + m * 60_000)),
      );
      const errors: Error[] = [];
      const answer = replayThenCallback(queue, id, 'fail');
      const { seen } = await consume({ queues: [queue], onError: (e) => errors.push(e) }, async (j) => {
        if (j.payload.kind === 'replay' && j.attempt === 1) {
          // This minute's throughput count is not a hash: HINCRBY would fail after the move.
          for (const k of throughput) await raw.set(k, 'not a hash', 'PX', 120_000);
        }
        return answer(j);
      });
      await waitFor('the refused settle', () => errors.length >= 1, { timeoutMs: 10_000 });
      expect(errors[0]!.message).toMatch(/holds another type/);
      expect(await raw.exists(key(lane, 'id'), key(lane, 'wait'), key(queue, 'failed'))).toBe(0);
      expect(await raw.lrange(key(queue, 'active'), 0, -1)).toEqual([jobId]);
      expect(await raw.hget(key(queue, jobId), 'attemptsMade')).toBeNull();
      expect(await store.readStatus(id)).toMatchObject({ state: 'running' });

      // Mended: the job, left to its lease, runs again and fails with its callback, once.
      await raw.del(...throughput);
      await waitFor('the callback after the rerun', () => seen.some((j) => j.payload.kind === 'callback'), {
        timeoutMs: 15_000,
      });
      await sleep(300);
      expect(seen.map((j) => j.payload.kind)).toEqual(['replay', 'replay', 'callback']);
      expect(await raw.zrange(key(queue, 'failed'), 0, -1)).toEqual([jobId]);
      expect(await store.readStatus(id)).toMatchObject({ state: 'failed', result: SEALED.result });
    });

    it('a settle sent again (its reply was lost, a reconnect resent it) is refused: the callback is stored once', async () => {
      const queue = uniqueName('q');
      const lane = callbackLane(queue);
      raw.defineCommand('rqSettle', { lua: SETTLE_LUA });
      const settler = new RedisSettler(() => raw as Redis & SettleCommand, t.prefix, 'test-token');
      const bull = bullLoop(store.queue(queue));
      const ids = [randomUUID(), randomUUID()];
      for (const id of ids) await store.enqueue(newJob(queue, id), id, TTL);

      const settlement = async (id: string, outcome: Settlement['outcome']): Promise<Settlement> => {
        const taken = (await bull.take())!;
        return {
          queue,
          jobId: String(taken.job.id),
          lockToken: taken.lockToken,
          outcome,
          failedReason: outcome === 'failed' ? 'HTTP 500' : undefined,
          next: newJob(lane, id, 0, { kind: 'callback' }),
        };
      };
      const completed = await settlement(ids[0]!, 'completed');
      await settler.settle(completed);
      await expect(settler.settle(completed)).rejects.toThrow(`Missing key for job ${completed.jobId}`);
      const failed = await settlement(ids[1]!, 'failed');
      await settler.settle(failed);
      await expect(settler.settle(failed)).rejects.toThrow(`Missing lock for job ${failed.jobId}`);

      expect(await raw.lrange(key(lane, 'wait'), 0, -1)).toEqual(['2', '1']);
      expect(await raw.zrange(key(queue, 'failed'), 0, -1)).toEqual([failed.jobId]);
      expect(await raw.hget(key(queue, failed.jobId), 'attemptsMade')).toBe('1');
      expect(await raw.exists(key(queue, completed.jobId))).toBe(0);
      expect(await raw.llen(key(queue, 'active'))).toBe(0);
    });
  });
}

/** The shared Redis under a prefix of its own. */
export function redisSettleTarget(): SettleTarget {
  const prefix = uniqueName('rqsettle');
  return {
    prefix,
    async open(leaseMs) {
      const store = new RedisStore({ url: REDIS_URL, prefix, lockDuration: leaseMs });
      await store.init();
      return store;
    },
    client: () => new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }),
    node: () => Promise.resolve(new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })),
    drop: () => deleteRedisPrefix(REDIS_URL, prefix),
  };
}
