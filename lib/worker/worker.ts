import type { JobResult, ReservedJob } from '../core/job.js';
import { resultOfThrow } from '../core/policies.js';
import type { JobConsumer, RequestQueueStore } from '../store/request-queue.store.js';

export interface WorkerOptions {
  /** Queues to take jobs from, highest priority first. */
  queues: readonly string[];
  /** Jobs run at once. */
  concurrency: number;
  /** How long a stopping worker waits for the jobs in hand, ms; longer ones are left to their lease. */
  gracePeriod: number;
  /** Stop after this many jobs (`--once` is 1, `--max-jobs N`) [no limit]. */
  maxJobs?: number;
  /** Stop once every queue is empty and no job is in hand (`--stop-when-empty`) [false]. */
  stopWhenEmpty?: boolean;
  /** How long to wait before looking again when the queues are empty, ms (`--sleep`) [the store's default]. */
  sleep?: number;
  /** Stop taking jobs after running this long, ms (`--max-time`) [no limit]. */
  maxTime?: number;
  /** Replay attempts, over what each request was queued with (`--tries`) [the request's own]. */
  tries?: number;
  /** Timeout of one replay attempt, ms, over what each request was queued with (`--timeout`) [the request's own]. */
  timeout?: number;
  /** How often to look for a `request-queue restart` signal in the store, ms; 0 turns it off [1000]. */
  restartCheckInterval?: number;
}

/** Why a worker stopped: asked to (signal, app shutdown), `restart` signal, or one of its limits. */
export type WorkerStopReason = 'stopped' | 'restart' | 'max-jobs' | 'max-time' | 'empty';

/** One job the worker ran: what it was, what came of it, and how long it took. */
export interface JobReport {
  job: ReservedJob;
  result: JobResult;
  startedAt: Date;
  durationMs: number;
}

/** Where a worker reports what it does. Hooks must not throw; errors they throw are ignored. */
export interface WorkerHooks {
  /** A job finished (or its handler gave up on it). */
  onJob?(report: JobReport): void;
  /** The worker is about to look for a job. */
  onLooping?(): void;
  /** The worker stops taking jobs; the jobs in hand still finish. */
  onStopping?(reason: WorkerStopReason): void;
  /** A store error the worker got over (it goes on after a pause). */
  onError?(error: Error): void;
  /**
   * The worker took a job that a dead worker held (its lease expired, `job.leaseLosses`
   * times): it runs it alone, or fails it when `job.leasesExhausted`. The worker's logs
   * warn about it (`describeRecovery`).
   */
  onRecovered?(job: ReservedJob): void;
}

/** What runs one job: `RequestProcessor` in the library. */
export interface JobRunner {
  process(job: ReservedJob): Promise<JobResult>;
}

const DEFAULT_RESTART_CHECK_MS = 1000;

/**
 * Takes jobs from the store and runs them until stopped, like Laravel's `queue:work`: it
 * stops by itself on a `request-queue restart` signal, after `maxJobs` or `maxTime`, or
 * when the queues are empty with `stopWhenEmpty`. Stopping never drops a job: the jobs in
 * hand finish within the grace period, or are left to their lease and run again elsewhere.
 */
export class Worker {
  /**
   * Resolves once the worker has stopped, with the reason. Rejects, after the jobs in hand
   * finished (or were left to their lease), when a store error that no retry can fix stopped
   * it: a `RequestQueueConfigError` whose message says what to do (run the migrations).
   */
  readonly stopped: Promise<WorkerStopReason>;
  private consumer?: JobConsumer;
  private timers: NodeJS.Timeout[] = [];
  private stopCall?: Promise<void>;
  private settle!: (reason: WorkerStopReason) => void;
  private fail!: (error: Error) => void;

  constructor(
    private readonly store: RequestQueueStore,
    private readonly runner: JobRunner,
    readonly options: WorkerOptions,
    private readonly hooks: WorkerHooks = {},
  ) {
    this.stopped = new Promise((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
    this.stopped.catch(() => {}); // handled by whoever awaits it; never an unhandled rejection
  }

  async start(): Promise<void> {
    if (this.consumer || this.stopCall) return;
    const o = this.options;
    const restartBaseline = await this.readRestart();
    this.consumer = await this.store.consume(
      {
        queues: o.queues,
        concurrency: o.concurrency,
        maxJobs: o.maxJobs,
        stopWhenEmpty: o.stopWhenEmpty,
        idleMs: o.sleep,
        onLooping: () => this.call('onLooping'),
        onError: (error) => this.call('onError', error),
      },
      (job) => this.run(job),
    );
    const consumer = this.consumer;
    void consumer.finished.then((end) => {
      if (end === 'failed') void this.halt(consumer.failure ?? new Error('the store ended the worker'));
      else if (end !== 'stopped') void this.stop(end);
    });
    if (o.maxTime !== undefined) this.timers.push(setTimeout(() => void this.stop('max-time'), o.maxTime));
    const every = o.restartCheckInterval ?? DEFAULT_RESTART_CHECK_MS;
    if (every > 0) this.watchRestart(restartBaseline, every);
  }

  /** Ends the worker on an error no retry can fix: `stopped` rejects with it (the jobs in hand are done). */
  private halt(error: Error): Promise<void> {
    this.stopCall ??= (async () => {
      this.timers.forEach(clearTimeout);
      this.timers = [];
      await this.consumer?.stop(this.options.gracePeriod);
      this.fail(error);
    })();
    return this.stopCall;
  }

  /** Stops taking jobs and waits for those in hand, up to the grace period. Safe to call more than once. */
  stop(reason: WorkerStopReason = 'stopped'): Promise<void> {
    this.stopCall ??= (async () => {
      this.timers.forEach(clearTimeout);
      this.timers = [];
      this.call('onStopping', reason);
      await this.consumer?.stop(this.options.gracePeriod);
      this.settle(reason);
    })();
    return this.stopCall;
  }

  private async run(job: ReservedJob): Promise<JobResult> {
    const startedAt = new Date();
    const t0 = performance.now();
    let result: JobResult;
    job = this.withOverrides(job);
    if ((job.leaseLosses ?? 0) > 0) this.call('onRecovered', job);
    try {
      result = await this.runner.process(job);
    } catch (err) {
      // The runner is meant to return a result; a throw is a bug. Retry, then fail, never drop.
      result = resultOfThrow(job, err);
    }
    this.call('onJob', { job, result, startedAt, durationMs: performance.now() - t0 });
    return result;
  }

  /** `--tries` and `--timeout` apply to replays; a callback delivery keeps its own schedule. */
  private withOverrides(job: ReservedJob): ReservedJob {
    const { tries, timeout } = this.options;
    if (job.payload.kind !== 'replay' || (tries === undefined && timeout === undefined)) return job;
    return {
      ...job,
      payload: { ...job.payload, tries: tries ?? job.payload.tries, timeout: timeout ?? job.payload.timeout },
    };
  }

  /**
   * Polls the store's restart signal. Like Laravel, the worker compares it with the value it
   * saw when it started (not with its own clock), so clock skew between machines is harmless.
   */
  private watchRestart(baseline: number | null | undefined, every: number): void {
    let seen = baseline;
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      void this.readRestart()
        .then((value) => {
          if (value === undefined) return; // store away: look again later
          if (seen === undefined)
            seen = value; // first successful read is the baseline
          else if (value !== null && value !== seen) void this.stop('restart');
        })
        .finally(() => (checking = false));
    }, every);
    this.timers.push(timer);
  }

  private restartReadFailing = false;

  /** The store's restart signal; undefined when the store could not be read (reported once per outage). */
  private async readRestart(): Promise<number | null | undefined> {
    try {
      const value = await this.store.lastRestart();
      this.restartReadFailing = false;
      return value;
    } catch (err) {
      if (!this.restartReadFailing) this.call('onError', err as Error);
      this.restartReadFailing = true;
      return undefined;
    }
  }

  private call<K extends keyof WorkerHooks>(name: K, ...args: Parameters<NonNullable<WorkerHooks[K]>>): void {
    try {
      (this.hooks[name] as ((...a: unknown[]) => void) | undefined)?.(...args);
    } catch {
      // a hook that throws must not stop the worker
    }
  }
}
