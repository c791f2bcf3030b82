import { describe, expect, it } from 'vitest';
import type { JobResult, ReservedJob } from '../core/job.js';
import { RequestQueueConfigError } from '../request-queue.options.js';
import { sleep } from '../core/async.js';
import { LANE_BURST, startConsumeLoop, type JobLease, type JobSource } from './consume-loop.js';

/**
 * The loop's own rules, on an in-memory source (what each store does with a lease is
 * tested against the real Redis and MariaDB in test/cli and test/store).
 */
class MemorySource implements JobSource {
  readonly waiting: { queue: string; id: string }[] = [];
  readonly settled: { id: string; result: JobResult }[] = [];
  readonly abandoned: string[] = [];
  takeError?: Error;
  settleError?: Error;
  /** A settled job with this id queues `then` (as a replay queues its callback). */
  chain = new Map<string, string>();
  /** Jobs handed out with these fields (lost leases, exhausted). */
  marks = new Map<string, Partial<ReservedJob>>();
  takesAfterStop = 0;
  /** Hand a chained job over to the settling worker when asked to (as the Redis store does). */
  handsOver = false;
  /** Jobs handed over by a settle, and what each settle was asked. */
  readonly handedOver: string[] = [];
  readonly handOverAsked: boolean[] = [];
  private n = 0;

  add(queue: string, id = `job-${++this.n}`): string {
    this.waiting.push({ queue, id });
    return id;
  }

  async take(queues: readonly string[]): Promise<JobLease | null> {
    await Promise.resolve();
    if (this.takeError) {
      const err = this.takeError;
      this.takeError = undefined;
      throw err;
    }
    for (const queue of queues) {
      const at = this.waiting.findIndex((w) => w.queue === queue);
      if (at < 0) continue;
      const [{ id }] = this.waiting.splice(at, 1) as [{ queue: string; id: string }];
      return this.leaseOf(queue, id);
    }
    return null;
  }

  private leaseOf(queue: string, id: string): JobLease {
    {
      const job: ReservedJob = {
        id,
        queue,
        attempt: 1,
        payload: {
          v: 1,
          kind: 'replay',
          correlationId: id,
          method: 'PUT',
          path: `/${id}`,
          callbackUrl: 'https://x.test/',
          queuedAt: 0,
          tries: 2,
          backoff: { type: 'fixed', delay: 1 },
          timeout: 1000,
          sealed: '',
        },
        ...this.marks.get(id),
      };
      return {
        job,
        settle: async (result, options) => {
          if (this.settleError) throw this.settleError;
          this.settled.push({ id, result });
          this.handOverAsked.push(options?.handOver ?? false);
          const next = this.chain.get(id);
          if (next && this.handsOver && options?.handOver) {
            this.handedOver.push(next);
            return this.leaseOf(queue, next);
          }
          if (next) this.add(queue, next);
        },
        abandon: () => void this.abandoned.push(id),
      };
    }
  }

  idle(ms: number, signal: AbortSignal): Promise<void> {
    return sleep(ms, signal);
  }
}

const ok = async (): Promise<JobResult> => ({ type: 'complete' });
/** A replay's result with its delivery due at once on its queue's lane (what a settle may hand over). */
const delivered = (job: ReservedJob): JobResult => ({
  type: 'complete',
  next: { queue: `${job.queue}#callbacks`, payload: { ...job.payload, kind: 'callback' }, delayMs: 0 },
});
const slow = (ms: number) => async (): Promise<JobResult> => {
  await new Promise((r) => setTimeout(r, ms));
  return { type: 'complete' };
};

describe('consume loop', () => {
  it('takes from the first queue that has a job (priority order)', async () => {
    const source = new MemorySource();
    source.add('low', 'l1');
    source.add('high', 'h1');
    source.add('low', 'l2');
    source.add('high', 'h2');
    const loop = startConsumeLoop(
      source,
      { queues: ['high', 'low'], concurrency: 1, idleMs: 10, stopWhenEmpty: true },
      ok,
    );
    expect(await loop.finished).toBe('empty');
    expect(source.settled.map((s) => s.id)).toEqual(['h1', 'h2', 'l1', 'l2']);
  });

  it('maxJobs: takes exactly that many, even with more concurrency, then ends once they are done', async () => {
    const source = new MemorySource();
    for (let i = 0; i < 5; i++) source.add('q');
    const loop = startConsumeLoop(source, { queues: ['q'], concurrency: 4, idleMs: 10, maxJobs: 2 }, slow(30));
    expect(await loop.finished).toBe('max-jobs');
    expect(source.settled).toHaveLength(2);
    expect(source.waiting).toHaveLength(3);
  });

  it('stopWhenEmpty: waits for the jobs in hand, runs what they queue, then ends', async () => {
    const source = new MemorySource();
    source.add('q', 'replay');
    source.chain.set('replay', 'callback');
    const loop = startConsumeLoop(source, { queues: ['q'], concurrency: 3, idleMs: 10, stopWhenEmpty: true }, slow(30));
    expect(await loop.finished).toBe('empty');
    expect(source.settled.map((s) => s.id)).toEqual(['replay', 'callback']);
  });

  it('stopWhenEmpty: a job that finishes while a take is out is looked after again (its callback is not left behind)', async () => {
    // The take that overlaps the replay's end looked before the callback was stored (a
    // database reservation reads with a bound and snapshot taken when it starts), so it
    // answers null although the settle has stored the callback by the time it returns.
    const source = new MemorySource();
    source.add('q', 'replay');
    source.chain.set('replay', 'callback');
    let replaySettled!: () => void;
    const settled = new Promise<void>((resolve) => (replaySettled = resolve));
    const take = source.take.bind(source);
    let takes = 0;
    source.take = async (queues) => {
      if (++takes !== 2) return take(queues);
      await settled; // looks (finds nothing), then the replay finishes before this answers
      await new Promise((resolve) => setTimeout(resolve, 5));
      return null;
    };
    const loop = startConsumeLoop(
      source,
      { queues: ['q'], concurrency: 2, idleMs: 10, stopWhenEmpty: true },
      async (job): Promise<JobResult> => {
        if (job.id === 'replay') setImmediate(() => replaySettled()); // after the settle below
        return { type: 'complete' };
      },
    );
    expect(await loop.finished).toBe('empty');
    expect(source.settled.map((s) => s.id)).toEqual(['replay', 'callback']);
    expect(source.waiting).toEqual([]);
  });

  it('a handler that throws gets its job retried, then failed, never dropped', async () => {
    const source = new MemorySource();
    source.add('q', 'boom');
    const loop = startConsumeLoop(
      source,
      { queues: ['q'], concurrency: 1, idleMs: 10, stopWhenEmpty: true },
      async () => {
        throw new Error('bug');
      },
    );
    await loop.finished;
    expect(source.settled).toEqual([
      { id: 'boom', result: { type: 'retry', error: 'worker error: bug', delayMs: 5000 } },
    ]);
  });

  it('reports take and settle errors and goes on', async () => {
    const source = new MemorySource();
    const errors: string[] = [];
    source.takeError = new Error('server away');
    source.add('q', 'a');
    const loop = startConsumeLoop(
      source,
      { queues: ['q'], concurrency: 1, idleMs: 10, stopWhenEmpty: true, onError: (e) => errors.push(e.message) },
      ok,
    );
    expect(await loop.finished).toBe('empty');
    expect(errors).toEqual(['server away']);
    expect(source.settled.map((s) => s.id)).toEqual(['a']);

    source.settleError = new Error('lock lost');
    source.add('q', 'b');
    const again = startConsumeLoop(
      source,
      { queues: ['q'], concurrency: 1, idleMs: 10, stopWhenEmpty: true, onError: (e) => errors.push(e.message) },
      ok,
    );
    expect(await again.finished).toBe('empty');
    expect(errors).toEqual(['server away', 'lock lost']);
  });

  it('stop(grace): waits for the jobs in hand, then leaves the ones still running to their lease', async () => {
    const source = new MemorySource();
    source.add('q', 'quick');
    source.add('q', 'long');
    const loop = startConsumeLoop(source, { queues: ['q'], concurrency: 2, idleMs: 10 }, async (job) => {
      await new Promise((r) => setTimeout(r, job.id === 'quick' ? 20 : 2000));
      return { type: 'complete' };
    });
    await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await loop.stop(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await loop.finished).toBe('stopped');
    expect(source.settled.map((s) => s.id)).toEqual(['quick']);
    expect(source.abandoned).toEqual(['long']);
  });

  it('stop() on an idle loop ends at once; looping is reported on each look', async () => {
    const source = new MemorySource();
    let looks = 0;
    const loop = startConsumeLoop(
      source,
      { queues: ['q'], concurrency: 1, idleMs: 10_000, onLooping: () => looks++ },
      ok,
    );
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await loop.stop(5000);
    expect(Date.now() - started).toBeLessThan(200);
    expect(looks).toBe(1);
    expect(await loop.finished).toBe('stopped');
  });

  it('ends failed, after the jobs in hand, on a store error no retry can fix, without reporting it as passing', async () => {
    const source = new MemorySource();
    source.add('q', 'running');
    const errors: Error[] = [];
    const loop = startConsumeLoop(
      source,
      { queues: ['q'], concurrency: 2, idleMs: 10, onError: (e) => errors.push(e) },
      slow(50),
    );
    await new Promise((r) => setTimeout(r, 5)); // 'running' is in hand
    const fatal = new RequestQueueConfigError("the request queue's tables are missing");
    source.takeError = fatal;
    expect(await loop.finished).toBe('failed');
    expect(loop.failure).toBe(fatal);
    expect(source.settled.map((s) => s.id)).toEqual(['running']);
    expect(errors).toEqual([]);
  });

  it("takes a queue's callback lane before the queue, keeping the priority between queues", async () => {
    const source = new MemorySource();
    source.add('low', 'l1');
    source.add('low#callbacks', 'lc1');
    source.add('high', 'h1');
    source.add('high#callbacks', 'hc1');
    const loop = startConsumeLoop(
      source,
      { queues: ['high', 'low'], concurrency: 1, idleMs: 10, stopWhenEmpty: true },
      ok,
    );
    expect(await loop.finished).toBe('empty');
    expect(source.settled.map((s) => s.id)).toEqual(['hc1', 'h1', 'lc1', 'l1']);
  });

  it(`takes at most ${LANE_BURST} deliveries in a row while a replay waits (a flood of deliveries starves no replay)`, async () => {
    const source = new MemorySource();
    for (let i = 0; i < 3; i++) source.add('q', `r${i}`);
    for (let i = 0; i < 2 * LANE_BURST + 2; i++) source.add('q#callbacks', `c${i}`);
    const loop = startConsumeLoop(source, { queues: ['q'], concurrency: 1, idleMs: 10, stopWhenEmpty: true }, ok);
    expect(await loop.finished).toBe('empty');
    const order = source.settled.map((s) => s.id);
    expect(order.indexOf('r0')).toBe(LANE_BURST);
    expect(order.indexOf('r1')).toBe(2 * LANE_BURST + 1);
    expect(order.slice(-1)).toEqual(['r2']); // the lane empty: replays again
    expect(order).toHaveLength(2 * LANE_BURST + 5);
  });

  it("runs a dead worker's job alone: the jobs in hand finish first, and none is taken until it is done", async () => {
    const source = new MemorySource();
    for (let i = 0; i < 3; i++) source.add('q');
    const recovered = source.add('q');
    source.marks.set(recovered, { leaseLosses: 1 });
    for (let i = 0; i < 3; i++) source.add('q');
    const log: string[] = [];
    let inHand = 0;
    const consumer = startConsumeLoop(
      source,
      { queues: ['q'], concurrency: 4, stopWhenEmpty: true, idleMs: 5 },
      async (job) => {
        log.push(`start ${job.id} beside ${inHand}`);
        inHand++;
        await new Promise((r) => setTimeout(r, 20));
        inHand--;
        log.push(`end ${job.id}`);
        return { type: 'complete' };
      },
    );
    expect(await consumer.finished).toBe('empty');
    expect(source.settled).toHaveLength(7);
    const start = log.indexOf(`start ${recovered} beside 0`);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(log[start + 1]).toBe(`end ${recovered}`); // nothing started while it ran
    expect(log.slice(0, start).filter((l) => l.startsWith('start'))).toHaveLength(3);
  });

  it('ends a job handed over with leasesExhausted failed, whatever its handler answers', async () => {
    const source = new MemorySource();
    const complete = source.add('q');
    const retry = source.add('q');
    const thrown = source.add('q');
    for (const id of [complete, retry, thrown]) source.marks.set(id, { leaseLosses: 3, leasesExhausted: true });
    const consumer = startConsumeLoop(
      source,
      { queues: ['q'], concurrency: 1, stopWhenEmpty: true, idleMs: 5 },
      async (job) => {
        if (job.id === thrown) throw new Error('boom');
        return job.id === retry ? { type: 'retry', error: 'again', delayMs: 1 } : { type: 'complete' };
      },
    );
    await consumer.finished;
    const error = 'worker died 3 times while running it (its lease expired each time)';
    expect(source.settled).toEqual([
      { id: complete, result: { type: 'fail', error } },
      { id: retry, result: { type: 'fail', error } },
      { id: thrown, result: { type: 'fail', error } },
    ]);
  });

  it('runs a job its settle handed over next, in the same slot, without a take; it counts as taken', async () => {
    const source = new MemorySource();
    source.handsOver = true;
    source.add('q', 'r1');
    source.add('q', 'r2');
    source.chain.set('r1', 'c1');
    source.chain.set('r2', 'c2');
    let takes = 0;
    const take = source.take.bind(source);
    source.take = async (queues) => {
      const lease = await take(queues);
      if (lease) takes++;
      return lease;
    };
    const running: string[] = [];
    let most = 0;
    const loop = startConsumeLoop(
      source,
      { queues: ['q'], concurrency: 2, idleMs: 10, stopWhenEmpty: true },
      async (job) => {
        running.push(job.id);
        most = Math.max(most, running.length);
        await sleep(20);
        running.splice(running.indexOf(job.id), 1);
        return job.id.startsWith('r') ? delivered(job) : { type: 'complete' };
      },
    );
    expect(await loop.finished).toBe('empty');
    expect(source.handedOver).toEqual(['c1', 'c2']);
    expect(source.settled.map((s) => s.id).sort()).toEqual(['c1', 'c2', 'r1', 'r2']);
    expect(most).toBe(2); // each delivery ran in its replay's slot: never a third job at once
    expect(takes).toBe(2); // r1 and r2 were taken; c1 and c2 never were

    const limited = new MemorySource();
    limited.handsOver = true;
    limited.add('q', 'r1');
    limited.chain.set('r1', 'c1');
    const once = startConsumeLoop(limited, { queues: ['q'], concurrency: 1, idleMs: 10, maxJobs: 1 }, async (job) =>
      delivered(job),
    );
    expect(await once.finished).toBe('max-jobs');
    expect(limited.handOverAsked).toEqual([false]); // at its last job, nothing is handed over
    expect(limited.waiting.map((w) => w.id)).toEqual(['c1']);
  });

  it('asks for no hand-over once stopping; a stop past its grace period leaves a handed-over job to its lease', async () => {
    const source = new MemorySource();
    source.handsOver = true;
    source.add('q', 'r1');
    source.chain.set('r1', 'c1');
    let stopAsked!: () => void;
    const stopNow = new Promise<void>((resolve) => (stopAsked = resolve));
    const loop = startConsumeLoop(source, { queues: ['q'], concurrency: 1, idleMs: 10 }, async (job) => {
      if (job.id === 'r1') stopAsked();
      await sleep(50);
      return delivered(job);
    });
    await stopNow;
    await loop.stop(1000);
    expect(source.handOverAsked).toEqual([false]);
    expect(source.waiting.map((w) => w.id)).toEqual(['c1']);

    const late = new MemorySource();
    late.handsOver = true;
    late.add('q', 'r1');
    late.chain.set('r1', 'c1');
    const hang = new Promise<JobResult>(() => {});
    const second = startConsumeLoop(late, { queues: ['q'], concurrency: 1, idleMs: 10 }, (job) =>
      job.id === 'r1' ? Promise.resolve(delivered(job)) : hang,
    );
    for (let i = 0; i < 100 && late.handedOver.length === 0; i++) await sleep(10);
    expect(late.handedOver).toEqual(['c1']);
    await second.stop(50);
    expect(late.abandoned).toEqual(['c1']); // the handed-over job was in hand: abandoned to its lease
  });
});
