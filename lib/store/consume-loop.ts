import { deferred, sleep, withTimeout } from '../core/async.js';
import { deliveryToHandOver, isCallbackLane, withLanes } from '../core/callback-lane.js';
import type { JobResult, ReservedJob } from '../core/job.js';
import { workerDiedError } from '../core/outcome.js';
import { resultOfThrow } from '../core/policies.js';
import { passFlow, type FlowPass, type FlowSupport } from '../flow/flow-gate.js';
import { RequestQueueConfigError } from '../core/errors.js';
import type { ConsumeOptions, ConsumerEnd, JobConsumer, JobHandler } from './request-queue.store.js';

/** A job leased to this process: the store keeps it owned until `settle` or `abandon`. */
export interface JobLease {
  readonly job: ReservedJob;
  /**
   * Applies the handler's result as the store contract says (complete, retry or fail, storing
   * `next`). Complete and fail are one atomic step with their `next` and final status record:
   * when this rejects, none of it was stored (the job stays leased and runs again once its
   * lease lapses); when it resolves, all of it was.
   *
   * With `handOver` (asked only for a result whose `next` is a delivery due at once,
   * `deliveryToHandOver`), a store that can may hand `next` straight to this process, leased
   * as a taken job is, instead of queuing it: it resolves to that lease, and the loop runs it
   * next in the same slot, without a take. A store that cannot resolves to nothing (the job
   * is queued).
   */
  settle(result: JobResult, options?: { handOver?: boolean }): Promise<JobLease | void>;
  /** Gives the job up without a result: the lease is no longer renewed, so the job runs again once it lapses. */
  abandon(): void;
}

/** The two primitives a store gives `startConsumeLoop`. */
export interface JobSource {
  /**
   * Leases the next ready job of the first queue in `queues` that has one (priority order),
   * or resolves to null when none has. Rejects with `RequestQueueConfigError` when no retry
   * can help (the store's tables are missing): the loop then ends `failed` instead of looping.
   */
  take(queues: readonly string[]): Promise<JobLease | null>;
  /** Waits `ms`, or less when a job may have arrived or `signal` aborts. Never rejects. */
  idle(ms: number, signal: AbortSignal): Promise<void>;
  /**
   * Flow control (throttle, funnel: `lib/flow`): the store's slots. Without it, jobs run
   * whatever their `flow` says. A source that has it settles `release` results.
   */
  readonly flow?: FlowSupport;
}

/** The pass of a job without flow control. */
const NO_FLOW: FlowPass = { type: 'run', done: () => {} };

/** How long a job waits when flow control could not be checked (the store erred), ms. */
const FLOW_ERROR_RELEASE_MS = 1_000;

/**
 * How long a stop waits for a `take` in flight. A take answers in milliseconds; one that
 * hangs (the server went away) must not hold the stop for the whole grace period. A job it
 * still hands over later is abandoned to its lease.
 */
const TAKE_WAIT_MS = 1_000;

/**
 * Most callback deliveries taken in a row while replays wait. Lanes go first so a delivery
 * never waits behind the backlog; but a flood of deliveries (a receiver that hangs until
 * its timeout, many retries coming due at once) must not starve the replays: after this
 * many takes in a row from lanes, the next take leaves the lanes out, so a waiting replay
 * gets at least one take in every `LANE_BURST + 1`.
 */
export const LANE_BURST = 8;

/**
 * The consumer loop every store can share: priority across queues (each queue's callback
 * lane first, bounded by `LANE_BURST`), `concurrency` jobs in hand (a job a settle handed
 * over runs next in its slot), `maxJobs`, `stopWhenEmpty`, idle waits, and a stop that
 * drains within a grace period and leaves what is still running to its lease. The store only
 * says how to take one job and how to wait for more (`JobSource`).
 */
export function startConsumeLoop(
  source: JobSource,
  options: ConsumeOptions & { idleMs: number },
  handler: JobHandler,
): JobConsumer {
  return new ConsumeLoop(source, options, handler);
}

class ConsumeLoop implements JobConsumer {
  readonly finished: Promise<ConsumerEnd>;
  failure?: Error;
  /** Jobs running, each in its slot (a slot runs the jobs handed over to it after its first). */
  private readonly inHand = new Map<Promise<void>, { lease: JobLease }>();
  private readonly stopping = new AbortController();
  private readonly stopped: Promise<void>;
  private readonly loop: Promise<ConsumerEnd>;
  private taken = 0;
  /** Takes in a row from callback lanes (see `LANE_BURST`). */
  private laneStreak = 0;
  /** Jobs whose run and settle are over, so a take can tell whether one ended while it was out. */
  private finishedJobs = 0;
  /** Set once a stop no longer waits for the loop: whatever a late take returns is left to its lease. */
  private gaveUp = false;
  private stopCall?: Promise<void>;
  private readonly end: (end: ConsumerEnd) => void;

  constructor(
    private readonly source: JobSource,
    private readonly options: ConsumeOptions & { idleMs: number },
    private readonly handler: JobHandler,
  ) {
    const ended = deferred<ConsumerEnd>();
    this.finished = ended.promise;
    this.end = ended.resolve;
    this.stopped = new Promise((resolve) =>
      this.stopping.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    this.loop = this.run().catch((err: unknown) => {
      this.report(err);
      return 'stopped' as const;
    });
    void this.loop.then(async (end) => {
      if (end === 'stopped') return; // stop() decides when it is over
      await this.drain();
      this.end(end);
    });
  }

  private async run(): Promise<ConsumerEnd> {
    const { queues, concurrency, maxJobs, stopWhenEmpty, idleMs } = this.options;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      if (maxJobs !== undefined && this.taken >= maxJobs) return 'max-jobs';
      if (this.inHand.size >= concurrency) {
        await this.oneFinished();
        continue;
      }
      this.looping();
      const finishedBefore = this.finishedJobs;
      let lease: JobLease | null;
      try {
        lease = await this.takeNext(queues);
      } catch (err) {
        if (err instanceof RequestQueueConfigError) {
          this.failure = err;
          return 'failed';
        }
        this.report(err);
        await sleep(idleMs, signal);
        continue;
      }
      if (lease) {
        if (this.gaveUp) {
          lease.abandon(); // stop() is over: nobody would run it, leave it to the lease
          break;
        }
        this.taken++;
        if (mustRunAlone(lease.job)) await this.runAlone(lease, signal);
        else this.runJob(lease);
        continue;
      }
      if (stopWhenEmpty) {
        // Empty only if no job ended while this take was out, too: the take may have looked
        // before that job's settle stored its next job (a replay's callback); a database
        // reservation reads with a `now` and a snapshot of when it started. Look again.
        if (this.inHand.size === 0 && this.finishedJobs === finishedBefore) return 'empty';
        if (this.inHand.size > 0) await this.oneFinished(); // it may queue a callback: look again afterwards
        continue;
      }
      await this.source.idle(idleMs, signal);
    }
    return 'stopped';
  }

  /**
   * The next job: lanes first (`withLanes`), except after `LANE_BURST` takes in a row from
   * lanes, when a waiting replay goes first (if none waits, the lanes are looked at again).
   */
  private async takeNext(queues: readonly string[]): Promise<JobLease | null> {
    let lease: JobLease | null = null;
    if (this.laneStreak >= LANE_BURST) {
      this.laneStreak = 0;
      lease = await this.source.take(queues.filter((q) => !isCallbackLane(q)));
    }
    lease ??= await this.source.take(withLanes(queues));
    if (lease) this.laneStreak = isCallbackLane(lease.job.queue) ? this.laneStreak + 1 : 0;
    return lease;
  }

  /**
   * Runs a job in a slot of its own, then the job its settle handed over, if any (a replay's
   * callback delivery: no take, no wait in its lane), and so on, in the same slot.
   */
  private runJob(lease: JobLease): void {
    const slot = { lease };
    const done = (async () => {
      let next: JobLease | undefined = lease;
      while (next) {
        slot.lease = next;
        next = await this.runOne(next);
        if (next) this.taken++;
      }
    })().finally(() => {
      this.finishedJobs++;
      this.inHand.delete(done);
    });
    this.inHand.set(done, slot);
  }

  /** A job handed over by a settle is taken only while this loop would still take one. */
  private mayTakeMore(): boolean {
    const { maxJobs } = this.options;
    return !this.stopping.signal.aborted && !this.gaveUp && (maxJobs === undefined || this.taken < maxJobs);
  }

  /** Runs one job and settles it; resolves to the job its settle handed over, if any. */
  private async runOne(lease: JobLease): Promise<JobLease | undefined> {
    // Flow control (throttle, funnel) before the handler: a job held back is released,
    // without using up an attempt, to run when its limit allows (lib/flow).
    // (No await for a job without flow control: its handler starts as soon as before.)
    const pass = this.source.flow && lease.job.payload.flow ? await this.passFlow(lease.job) : NO_FLOW;
    if (pass.type === 'release') {
      try {
        await lease.settle({ type: 'release', delayMs: pass.delayMs, error: pass.reason });
      } catch (err) {
        this.report(err); // still leased: it runs again when the lease lapses
      }
      return undefined;
    }
    let result: JobResult;
    try {
      result = await this.handler(lease.job);
    } catch (err) {
      result = resultOfThrow(lease.job, err);
    } finally {
      pass.done();
    }
    // The store gave up on it (leases exhausted): it ends failed whatever the handler says.
    if (lease.job.leasesExhausted && result.type !== 'fail') {
      result = { type: 'fail', error: workerDiedError(lease.job.leaseLosses ?? 1) };
    }
    try {
      const handOver = deliveryToHandOver(result) !== undefined && this.mayTakeMore();
      const handed = await lease.settle(result, { handOver });
      pass.settled?.(result); // a final result takes it out of its funnel's line (lib/flow)
      if (!handed) return undefined;
      // Ours already: it runs like a job in hand (a stop waits for it within its grace period).
      if (!this.gaveUp) return handed;
      handed.abandon(); // the stop is over: left to its lease, it runs again elsewhere
    } catch (err) {
      // Not settled: the job stays leased and runs again when the lease lapses (at least once).
      this.report(err);
    }
    return undefined;
  }

  /** `passFlow` on the source's slots; a store error holds the job back a moment (never runs it unchecked). */
  private async passFlow(job: ReservedJob): Promise<FlowPass> {
    const support = this.source.flow;
    if (!support) return NO_FLOW;
    try {
      return await passFlow(support, job);
    } catch (err) {
      this.report(err);
      return { type: 'release', delayMs: FLOW_ERROR_RELEASE_MS, reason: 'flow control unavailable' };
    }
  }

  /**
   * Poison isolation: a job a dead worker held may be what killed it, so it runs alone. The
   * jobs in hand finish first (this job's lease is renewed meanwhile), then it runs, and
   * nothing more is taken until it is done: should it kill this worker too, it takes no
   * innocent job with it. A stop while waiting leaves it to its lease.
   */
  private async runAlone(lease: JobLease, signal: AbortSignal): Promise<void> {
    while (this.inHand.size > 0 && !signal.aborted) await this.oneFinished();
    if (signal.aborted) {
      lease.abandon();
      return;
    }
    this.runJob(lease);
    while (this.inHand.size > 0 && !signal.aborted) await this.oneFinished();
  }

  private async oneFinished(): Promise<void> {
    await Promise.race([...this.inHand.keys(), this.stopped]);
  }

  private async drain(): Promise<void> {
    while (this.inHand.size > 0) await Promise.all(this.inHand.keys());
  }

  stop(graceMs: number): Promise<void> {
    this.stopCall ??= (async () => {
      const deadline = Date.now() + graceMs;
      this.stopping.abort();
      if (!(await within(this.loop, Math.min(graceMs, TAKE_WAIT_MS)))) this.gaveUp = true;
      if (!(await within(this.drain(), Math.max(0, deadline - Date.now())))) {
        for (const slot of this.inHand.values()) slot.lease.abandon();
      }
      this.gaveUp = true;
      this.end('stopped');
    })();
    return this.stopCall;
  }

  private looping(): void {
    try {
      this.options.onLooping?.();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // a reporter that throws must not stop the loop
    }
  }
}

/** True for a job a dead worker held (a lost lease), unless it is only handed over to be failed. */
function mustRunAlone(job: ReservedJob): boolean {
  return (job.leaseLosses ?? 0) > 0 && !job.leasesExhausted;
}

/** True when `work` settled within `ms`. */
function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  return withTimeout(
    work.then(() => true),
    ms,
    () => false,
  );
}
