import { withTimeout } from '../../core/async.js';

/**
 * Rejects when `work` has not settled within `ms`. A cluster client may redirect and retry a
 * command during a failover, each attempt with its own command timeout: this bounds the
 * whole, so that a request's answer never waits longer than the store's command timeout.
 * The command itself is not withdrawn: it may still land (as with a timed-out command on one
 * Redis), which the claim makes safe (a retry of the same id gets 409, not a second job).
 */
export function deadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return withTimeout(work, ms, () => {
    throw new Error(`no answer from the Redis Cluster within ${ms} ms`);
  });
}
