import type { JobResult, ReservedJob } from './job.js';
import { workerDiedError } from './outcome.js';

// The numbers that several layers must agree on (the module's options, the worker, the
// consume loop, the stores, the `request-queue work` command), each in one place. Times
// are in milliseconds.

/** The longest one attempt in hand can take: a replay (`timeout`) or a callback delivery (`callback.timeout`). */
export function longestAttempt(timeout: number, callbackTimeout: number): number {
  return Math.max(timeout, callbackTimeout);
}

/** Extra time a stopping worker gives the jobs in hand on top of the attempt they are in. */
export const GRACE_MARGIN_MS = 5_000;

/**
 * How long a stopping worker waits for the jobs in hand: `configured` [the longest attempt
 * plus `GRACE_MARGIN_MS`], but never less than a callback delivery plus the margin. Any
 * worker may hold a delivery (each queue's callback lane is taken with it), so a drained
 * worker never abandons a delivery in flight: the receiver would get it twice.
 */
export function gracePeriod(timeout: number, callbackTimeout: number, configured?: number): number {
  const atLeast = callbackTimeout + GRACE_MARGIN_MS;
  return Math.max(configured ?? longestAttempt(timeout, callbackTimeout) + GRACE_MARGIN_MS, atLeast);
}

/** The shortest lease the default gives, and its margin over the longest attempt. */
export const MIN_DEFAULT_LEASE_MS = 90_000;
export const LEASE_MARGIN_MS = 30_000;

/**
 * The lease (the database driver's `retryAfter`) that the default gives when the longest
 * attempt takes `longest` ms: max(90 s, it + 30 s). A lease must exceed the longest attempt,
 * or a job still running could be handed to a second worker.
 */
export function defaultLease(longest: number): number {
  return Math.max(MIN_DEFAULT_LEASE_MS, longest + LEASE_MARGIN_MS);
}

/** The lease of the Redis driver (Bull's `lockDuration`) and of the in-memory testing store, renewed while a job runs. */
export const DEFAULT_LOCK_DURATION_MS = 30_000;

/**
 * Reservations beyond a job's `tries` that it may lose to an expired lease (its worker died,
 * or an attempt outlived the lease) before the store gives up on it and hands it over to be
 * failed (`ReservedJob.leasesExhausted`). Every store counts the same way: attempts that got
 * a result plus leases lost, this one included.
 */
export const LEASE_LOSSES_TOLERATED = 2;

/** True when a job reserved for its `reservations`-th time (this one included) has lost too many leases. */
export function leasesExhausted(reservations: number, tries: number): boolean {
  return reservations > tries + LEASE_LOSSES_TOLERATED;
}

/** The attempt budget: true when the job's `attempt` (1 for the first) leaves another within `tries`. */
export function hasAttemptsLeft(attempt: number, tries: number): boolean {
  return attempt < tries;
}

/** How long to wait before a job whose handler threw (a bug, not an outcome) runs again. */
export const THROWN_HANDLER_RETRY_MS = 5_000;

/**
 * The result of a job whose handler threw instead of returning a result (a bug): retried
 * after `THROWN_HANDLER_RETRY_MS` while its attempts last, then failed; never dropped. A
 * job the store gave up on (`leasesExhausted`) fails as its worker's death says.
 */
export function resultOfThrow(job: ReservedJob, err: unknown): JobResult {
  if (job.leasesExhausted) return { type: 'fail', error: workerDiedError(job.leaseLosses ?? 1) };
  const error = `worker error: ${err instanceof Error ? err.message : String(err)}`;
  return hasAttemptsLeft(job.attempt, job.payload.tries)
    ? { type: 'retry', error, delayMs: THROWN_HANDLER_RETRY_MS }
    : { type: 'fail', error };
}
