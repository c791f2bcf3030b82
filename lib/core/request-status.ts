/**
 * What a store keeps about one queued request for its status resource (SPEC §8), and what
 * operators see of waiting work (SPEC §9). Plain data: the outcome is sealed before it gets
 * here, so a store never holds a response in clear.
 */

/** Where a queued request is, as its status resource says. */
export type RequestState = 'queued' | 'running' | 'retrying' | 'completed' | 'failed';

/** The states after which a request never runs again (unless an operator retries it). */
export const FINAL_STATES: ReadonlySet<RequestState> = new Set(['completed', 'failed']);

/**
 * The status record of one queued request, keyed by its correlation id. A store writes it
 * in the same atomic step that stores or moves the request's replay job: `queued` with the
 * job (enqueue, operator retry), `running` when a worker takes it, `retrying` with
 * `nextAttemptAt` when the worker asks for a retry, `completed`/`failed` with the sealed
 * outcome when the worker finishes it. Callback deliveries never change it.
 */
export interface StatusRecord {
  correlationId: string;
  state: RequestState;
  /** Replay attempts started so far (0 while queued for the first time). */
  attempts: number;
  /** The queue and the store's id of the replay job (for operators). */
  queue: string;
  jobId: string;
  /** Unix ms when the request was accepted. */
  queuedAt: number;
  /** Unix ms of the last change. */
  updatedAt: number;
  /** Unix ms when a waiting (delayed or retrying) job may run next. */
  nextAttemptAt?: number;
  /** The outcome, sealed (`SealedBox`, bound to the correlation id); present once final. */
  result?: string;
  /** A keyed fingerprint of the request (method, path, body) for the Idempotency-Key mode. */
  fingerprint?: string;
}

/** What the worker's result tells the store to keep once a replay is final. */
export interface FinalStatus {
  /** The outcome, sealed by the processor (the same object the callback carries). */
  result: string;
  /** How long the record stays readable after now, ms (`statusTtl`). */
  keepMs: number;
}

/** What `enqueue` also records about the request, beside claiming its id. */
export interface StatusSeed {
  /** See `StatusRecord.fingerprint`. */
  fingerprint?: string;
}

/** States of stored jobs an operator can list (`request-queue list --state`). */
export type JobState = 'waiting' | 'delayed' | 'running' | 'failed';
export const JOB_STATES: readonly JobState[] = ['waiting', 'delayed', 'running', 'failed'];

/** One stored job as `request-queue list` shows it. Never its sealed part. */
export interface JobSummary {
  /** The store's id; for failed jobs, the id `retry`/`forget` take. */
  id: string;
  queue: string;
  state: JobState;
  kind: 'replay' | 'callback';
  correlationId: string;
  method: string;
  path: string;
  /** Attempts started (for failed jobs, the attempts it had). */
  attempts: number;
  /** Unix ms when the job was stored. */
  createdAt: number;
  /** Unix ms when a waiting or delayed job may run. */
  availableAt?: number;
  /** Why it failed (failed jobs). */
  error?: string;
}

/** Filter of `listJobs`. */
export interface JobFilter {
  queue?: string;
  state?: JobState;
  /** At most this many, oldest first for waiting/delayed/running, newest first for failed. */
  limit: number;
}

/** Counts of one queue's jobs per state (`request-queue stats`). */
export interface QueueStats {
  queue: string;
  waiting: number;
  delayed: number;
  running: number;
  failed: number;
}
