import type { FailedJob, JobResult, NewJob, ReservedJob } from '../core/job.js';
import type {
  JobFilter,
  JobSummary,
  QueueStats,
  StatusRecord,
  StatusSeed,
  ThroughputPoint,
} from '../core/request-status.js';

/**
 * The one contract every store implements (Redis via Bull, SQL via TypeORM).
 *
 * Guarantees a store gives:
 * - **Claims are atomic.** `claim` and `enqueue` never let two callers win the same
 *   correlation id while it is held (`ttlMs`). `enqueue` claims the id and stores the job
 *   in one atomic step: either both happen or neither does, so a crash cannot leave an id
 *   blocked with no job behind it, nor a job whose id is free for reuse.
 * - **Unreachable means an error, fast.** When the backing server cannot be reached,
 *   `claim` and `enqueue` reject with `StoreUnavailableError` within a couple of seconds
 *   instead of waiting for a reconnect; they never report success for something not stored.
 * - **At-least-once delivery.** A job handed to a handler stays owned by that worker under
 *   a lease; if the worker dies, the job runs again after the lease. A handler's result is
 *   applied as told: `complete` removes the job and stores `next` (if any), `retry` makes
 *   it runnable again after `delayMs` with its attempt count kept, `fail` moves it to the
 *   failed set with `error` and stores `next`, `release` (flow control held the job back
 *   before it ran, `lib/flow`) makes it runnable again after `delayMs` with the reservation
 *   undone: its attempt count and lost leases as before it was taken, its status record
 *   `queued` with `nextAttemptAt`; a release is never an attempt. The store never retries
 *   or fails a job on its own account.
 * - **Ending a job and storing its next one is one atomic step.** A `complete` or `fail`
 *   result is applied all at once or not at all: the job leaves its worker's lease (removed,
 *   or in the failed set), its `next` job (a replay's callback delivery) is stored, and a
 *   replay's final status record is written (with its timeline entry and throughput count).
 *   A worker that dies before that step leaves the job to its lease and it runs again; once
 *   the step is done, the callback is stored exactly once. A result whose lease was lost
 *   meanwhile (another worker holds the job) is refused and stores nothing. The database
 *   driver does it in one transaction, the Redis driver in one Lua script
 *   (`lib/store/redis/settle.lua.ts`). A `retry` or `release` stores no `next`. A store may
 *   hand a `next` due at once straight to the worker that settles (`JobLease.settle`'s
 *   `handOver`: the Redis driver stores it active under that worker's lock, the database driver
 *   inserts it reserved by that worker, in the same step); it is then leased as a taken job
 *   is, and a worker that dies leaves it to its lease.
 * - **Flow control counts live in the store.** A job source that offers `flow`
 *   (`JobSource.flow`, `FlowSlots` in `lib/flow/flow-store.ts`) takes throttle and funnel
 *   slots atomically, so the limits hold across worker processes; a funnel slot is held for
 *   the job's lease and renewed with it, so a dead worker's slot frees itself. One that
 *   offers `flow.tickets` (`FlowTickets`) lines up a funnel's jobs in order of arrival: the
 *   job's ticket is stored in the same atomic step as the job (`enqueue`), and stays live
 *   until the job completes, fails or is deleted. A store without `flow` runs jobs whatever
 *   their `flow` says.
 * - **Lost leases are counted, and never fail a job silently.** A job taken back from a
 *   worker that lost its lease (died) is handed out with `leaseLosses` (how many times), in
 *   a reservation of its own, never in a batch with other jobs; the consume loop runs it
 *   alone (poison isolation: a request that kills its worker takes no innocent job with
 *   it). Once a job has been reserved more than `tries + 2` times (attempts with a result
 *   plus leases lost), the store gives up on it: it hands it over once more with
 *   `leasesExhausted` set, not to run but to be failed; the handler answers `fail` with the
 *   failure outcome (`next`: the failure callback, `status`: the final record) and the store
 *   applies it as any `fail`, in its one atomic step. A worker that dies before that result
 *   is stored leaves the job to its lease, and the next worker hands it over again: the
 *   failure is never lost, and its callback is stored once.
 * - **Missing tables are a setup error, not an outage.** A store whose tables do not exist
 *   refuses to start (`RequestQueueConfigError` naming the fix); if they disappear later,
 *   `claim`/`enqueue` reject with `StoreUnavailableError` saying so, and a consumer ends
 *   (`failed`) rather than retrying forever.
 * - **Failed jobs stay until an operator acts.** `retryFailed` puts a failed job back as it
 *   was (same kind: a failed callback delivery is re-sent, never replayed), with a fresh
 *   attempt count.
 * - **Every queued request has a status record** (`StatusRecord`, README "Where is my request?"), written in the
 *   same atomic step that moves its replay job: `queued` by `enqueue` (and by `retryFailed`
 *   of a replay job), `running` when a consumer takes the job (before the handler sees it),
 *   `retrying` with `nextAttemptAt` on a `retry` result, `completed`/`failed` with the
 *   result's sealed `status` on `complete`/`fail`. A record never says final for a job that
 *   will run again. A final record is kept `status.keepMs`, then the store removes it by
 *   itself (an expired record is never read back). Callback jobs leave it alone, and so do
 *   `forgetFailed`/`flushFailed`.
 * - **A record carries its request's timeline** (`StatusRecord.timeline`, for operators):
 *   `queued` written by `enqueue` (and by `retryFailed` of a replay job), an `attempt`
 *   entry with each `retry`/`complete`/`fail` result of the replay job (from the result's
 *   `note`, written in the step that writes the record), and a `callback` entry with each
 *   settled result of its callback job (guarded by the request's `queuedAt`, so a newer
 *   request under the same id is left alone; the only record write a callback job makes).
 *   At most the last `TIMELINE_LIMIT` entries; never a header, body or token.
 * - **Throughput is counted in the store**, so it is right with any number of workers: a
 *   replay job's `complete`/`fail` counts one `completed`/`failed` in the minute it is
 *   written, and its first attempt's start adds its queue wait (start - `queuedAt`) to that
 *   minute's `waitMs`/`waited`. Counts are kept at least `THROUGHPUT_KEEP_MS`. A job run
 *   twice (its worker died, or an operator retried it) may be counted twice. A store may
 *   gather a process's counts briefly before writing them (the database store: a second),
 *   so `throughput` can lag the work by that much, and a dying process can lose that much.
 */
export interface RequestQueueStore {
  /** Claims `correlationId` for `ttlMs` for a request handled synchronously; false if already held. */
  claim(correlationId: string, ttlMs: number): Promise<boolean>;

  /**
   * Claims `correlationId` for `ttlMs` and stores `job` with its `queued` status record
   * (carrying `seed`), atomically. Resolves to the new job's id, or `null` when the id was
   * already held (then nothing is stored or changed).
   */
  enqueue(job: NewJob, correlationId: string, ttlMs: number, seed?: StatusSeed): Promise<string | null>;

  /** The status record of a queued request; null when there is none (never queued, or kept past its time). */
  readStatus(correlationId: string): Promise<StatusRecord | null>;
  /** Stored jobs (waiting, delayed, running, failed), without their sealed parts (`request-queue list`). */
  listJobs(filter: JobFilter): Promise<JobSummary[]>;
  /** Job counts per queue and state, for every queue that has jobs (`request-queue stats`). */
  stats(): Promise<QueueStats[]>;
  /**
   * Replays finished and queue waits per minute and queue, for minutes starting at or after
   * `sinceMs` (the dashboard's chart), sorted by minute then queue. Minutes and queues
   * without work have no point; counts older than `THROUGHPUT_KEEP_MS` may be gone.
   */
  throughput(sinceMs: number): Promise<ThroughputPoint[]>;

  /**
   * Starts running jobs of `options.queues` through `handler`, at most `concurrency` at a
   * time, until `stop()` or until `maxJobs` / `stopWhenEmpty` end it (see `ConsumeOptions`).
   * Stores can build this on `startConsumeLoop` (`consume-loop.ts`) from two primitives.
   */
  consume(options: ConsumeOptions, handler: JobHandler): Promise<JobConsumer>;

  /** Failed jobs, newest first. */
  listFailed(): Promise<FailedJob[]>;
  /** Puts failed jobs back on their queues; resolves to how many were found and moved. */
  retryFailed(ids: readonly string[]): Promise<number>;
  /** Puts every failed job of `queue` (replays and callback deliveries) back, as `retryFailed`; resolves to the count. */
  retryAllFailed(queue: string): Promise<number>;
  /** Removes one failed job; false when there is no such id. */
  forgetFailed(id: string): Promise<boolean>;
  /** Removes failed jobs that failed more than `olderThanMs` ago (all when 0); resolves to the count. */
  flushFailed(olderThanMs: number): Promise<number>;

  /** Records, in the store, that every worker should finish its jobs in hand and exit (`request-queue restart`). */
  signalRestart(): Promise<void>;
  /** When a restart was last signalled (unix ms), or null; a worker exits when this passes its start time. */
  lastRestart(): Promise<number | null>;

  /**
   * Checks that the server answers; rejects with `StoreUnavailableError` within a couple of
   * seconds when it does not. The `request-queue` commands call it first, so they fail fast.
   */
  ping(): Promise<void>;

  /** Closes every connection the store opened (not ones the app handed in). */
  close(): Promise<void>;
}

export interface ConsumeOptions {
  /**
   * Queues to take jobs from, highest priority first: a job is taken from a queue only when
   * no queue before it has a job ready (`request-queue work --queue high,default`).
   */
  queues: readonly string[];
  /** Jobs run at once by this process. */
  concurrency: number;
  /** Take at most this many jobs, then end once they are done (`--once` is 1, `--max-jobs N`) [no limit]. */
  maxJobs?: number;
  /**
   * End the first time every queue is found empty while no job is in hand (`--stop-when-empty`).
   * A job in hand may queue another (a replay queues its callback), so the consumer looks
   * again after each one finishes before it ends. Delayed jobs (retries waiting on their
   * backoff) are not ready, so they do not keep it running [false].
   */
  stopWhenEmpty?: boolean;
  /**
   * How long to wait before looking again when every queue is empty, in ms (`--sleep`). A
   * store may look sooner when it learns that a job arrived [the store's own default].
   */
  idleMs?: number;
  /** Called each time the consumer looks for a job (the `worker looping` event). Must be cheap. */
  onLooping?: () => void;
  /**
   * Told about store errors the consumer got over (it waits `idleMs` and goes on). An error
   * no retry can fix (`RequestQueueConfigError`: the tables are missing) is not reported
   * here: it ends the consumer (`failed`, with `failure`).
   */
  onError?: (error: Error) => void;
}

/**
 * Why a consumer ended: `stop()` was called, `maxJobs` were taken, every queue was empty,
 * or a store error that no retry can fix (`failure`) ended it.
 */
export type ConsumerEnd = 'stopped' | 'max-jobs' | 'empty' | 'failed';

export type JobHandler = (job: ReservedJob) => Promise<JobResult>;

export interface JobConsumer {
  /**
   * Stops taking jobs and waits up to `graceMs` for those in hand; jobs still running
   * after that are left to their lease and run again elsewhere. Safe to call more than once.
   */
  stop(graceMs: number): Promise<void>;
  /**
   * Resolves once the consumer has ended and has no job in hand (or, after `stop()`, once
   * the jobs in hand finished or were left to their lease). Never rejects.
   */
  readonly finished: Promise<ConsumerEnd>;
  /**
   * Why the consumer ended `failed`: a `RequestQueueConfigError` whose message says what to
   * fix (e.g. run the migrations). Undefined otherwise.
   */
  readonly failure?: Error;
}

/**
 * Injection token for the store (the interface itself does not exist at run time). A
 * registered symbol, so it is the same token whichever build (CommonJS or ESM) defined it.
 */
export const REQUEST_QUEUE_STORE = Symbol.for('nestjs-request-queue:RequestQueueStore');

// Also exported from here, where it was declared before it moved to lib/core/errors.ts.
export { StoreUnavailableError } from '../core/errors.js';
