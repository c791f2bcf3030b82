import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../lib/core/job.js';
import { flowTicketsKey } from '../../lib/store/redis/flow-tickets.lua.js';
import { RedisStore } from '../../lib/store/redis/redis.store.js';
import type { JobConsumer, RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob, record, sleep } from '../store/store-conformance.js';
import { deleteRedisPrefix, Redis } from '../support/redis.js';
import { REDIS_URL, uniqueName } from '../support/store-servers.js';
import { mariadbStore, postgresStore, sqliteStore, type StoreSpace } from '../support/stores.js';
import { waitFor } from '../support/wait-for.js';

/**
 * A funnel's line (lib/flow, `FlowTickets`) on each store, through the store's own consumer:
 * what happens to the jobs after one that left without its ticket being dropped (deleted by
 * hand, or failed by a worker that died before it dropped the ticket). Such a ticket is
 * dead, and the stores skip it: the key is never blocked.
 */
const LEASE_MS = 1500;
const TTL = 60_000;

/** A store, and raw access to what it holds: to delete a job, or put a ticket back, from outside it. */
interface LineTarget {
  open(): Promise<RequestQueueStore>;
  /** Deletes a pending job without a result, as an operator would. */
  deleteJob(queue: string, id: string): Promise<void>;
  /** Puts a job's ticket back at the front of the line, as if its removal had been missed. */
  putTicketBack(bucket: string, queue: string, id: string): Promise<void>;
  drop(): Promise<void>;
}

function redisLine(): LineTarget {
  const prefix = uniqueName('rqline');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  return {
    async open() {
      const store = new RedisStore({ url: REDIS_URL, prefix, lockDuration: LEASE_MS });
      await store.init();
      return store;
    },
    async deleteJob(queue, id) {
      await redis.lrem(`${prefix}:${queue}:wait`, 0, id);
      await redis.del(`${prefix}:${queue}:${id}`);
    },
    async putTicketBack(bucket, queue, id) {
      await redis.zadd(flowTicketsKey(prefix, bucket), 0, `${prefix}:${queue}:${id}`);
    },
    async drop() {
      await deleteRedisPrefix(REDIS_URL, prefix);
      await redis.quit();
    },
  };
}

function sqlLine(space: StoreSpace): LineTarget {
  const exec = (sql: string, params: unknown[]) => {
    if (!space.exec) throw new Error('an SQL store runs statements');
    return space.exec(sql, params);
  };
  return {
    open: () => space.open({ leaseMs: LEASE_MS }),
    deleteJob: (_queue, id) => exec('DELETE FROM jobs WHERE id = ?', [id]),
    putTicketBack: (bucket, _queue, id) =>
      exec('INSERT INTO request_queue_flow_tickets (bucket, job_id) VALUES (?, ?)', [bucket, id]),
    drop: () => space.cleanup(),
  };
}

const targets: [string, () => Promise<LineTarget>][] = [
  ['Redis', () => Promise.resolve(redisLine())],
  ['MariaDB', async () => sqlLine(await mariadbStore.create())],
  ['PostgreSQL', async () => sqlLine(await postgresStore.create())],
  ['SQLite', async () => sqlLine(await sqliteStore.create())],
];

describe.each(targets)('funnel line on %s', (_name, makeTarget) => {
  let target: LineTarget;
  let store: RequestQueueStore;
  const consumers: JobConsumer[] = [];

  beforeAll(async () => {
    target = await makeTarget();
    store = await target.open();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop(0)));
    await store?.close();
    await target?.drop();
  });

  /** Queues `count` jobs of one funnel key (limit 1 unless told), in order; resolves to their ids. */
  async function line(queue: string, bucket: string, count: number, limit = 1): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const job = newJob(queue, randomUUID(), 0, { tries: 1, flow: { funnel: { bucket, limit, retryAfter: 50 } } });
      const id = await store.enqueue(job, job.payload.correlationId, TTL);
      ids.push(id!);
    }
    return ids;
  }

  /** Consumes `queue` with concurrency 5; each handler takes 100 ms; records starts and ends. */
  async function run(queue: string, decide: (id: string) => JobResult = () => ({ type: 'complete' })) {
    const ends = new Map<string, number>();
    const r = await record(store, { queues: [queue], concurrency: 5, idleMs: 50 }, async (job) => {
      await sleep(100);
      ends.set(job.id, Date.now());
      return decide(job.id);
    });
    consumers.push(r.consumer);
    return { ...r, ends };
  }

  it('skips a job deleted from its line without a result: the ones after it run, in order, one at a time', async () => {
    const queue = uniqueName('line');
    const bucket = `f:${randomUUID().slice(0, 12)}`;
    const [deleted, second, third] = await line(queue, bucket, 3);
    await target.deleteJob(queue, deleted!);
    const { seen, at, ends } = await run(queue);
    await waitFor('the two jobs after the deleted one', () => ends.size >= 2, { timeoutMs: 20_000 });
    expect(seen.map((j) => j.id)).toEqual([second, third]);
    expect(at[1]!).toBeGreaterThanOrEqual(ends.get(second!)!);
  });

  it('skips the ticket of a job that failed for good, left in the line by a worker that died before it dropped it', async () => {
    const queue = uniqueName('line');
    const bucket = `f:${randomUUID().slice(0, 12)}`;
    const [failing] = await line(queue, bucket, 1);
    const first = await run(queue, () => ({ type: 'fail', error: 'failed for good' }));
    await waitFor('the failed job', async () => (await store.listFailed()).some((f) => f.queue === queue), {
      timeoutMs: 20_000,
    });
    await first.consumer.stop(1000);
    await target.putTicketBack(bucket, queue, failing!);
    const [next] = await line(queue, bucket, 1);
    const { seen, ends } = await run(queue);
    await waitFor('the job after the failed one', () => ends.has(next!), { timeoutMs: 20_000 });
    expect(seen.map((j) => j.id)).toEqual([next]);
  });

  it('gives a funnel of 2 its slots in order of arrival: the two oldest first, never three at once', async () => {
    const queue = uniqueName('line');
    const bucket = `f:${randomUUID().slice(0, 12)}`;
    const ids = await line(queue, bucket, 5, 2);
    const { seen, at, ends } = await run(queue);
    await waitFor('the five jobs', () => ends.size >= 5, { timeoutMs: 20_000 });
    const started = seen.map((j) => j.id);
    expect(new Set(started.slice(0, 2))).toEqual(new Set(ids.slice(0, 2)));
    expect(new Set(started.slice(2, 4))).toEqual(new Set(ids.slice(2, 4)));
    expect(started[4]).toBe(ids[4]);
    for (let i = 2; i < started.length; i++) {
      // the (i+1)-th start comes after at least i-1 jobs ended: at most two at once
      const endedBefore = [...ends.values()].filter((end) => end <= at[i]!).length;
      expect(endedBefore, `start ${i}`).toBeGreaterThanOrEqual(i - 1);
    }
  });
});
