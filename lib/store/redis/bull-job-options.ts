/** Bull's own retry and failure bookkeeping is not used: the worker decides (see the store contract). */
export const BULL_ATTEMPTS = 1_000_000;
export const BACKOFF_STRATEGY = 'request-queue';

/**
 * The options of every Bull job the driver stores (a replay by `enqueue`, a callback job by
 * `settle`): completed jobs removed, failed ones kept, retries and their delays decided by
 * the worker (`BACKOFF_STRATEGY` reads the delay the worker asked for).
 */
export function bullJobOptions(delayMs: number, timestamp: number) {
  return {
    attempts: BULL_ATTEMPTS,
    backoff: { type: BACKOFF_STRATEGY },
    removeOnComplete: true,
    removeOnFail: false,
    delay: delayMs,
    timestamp,
  };
}
