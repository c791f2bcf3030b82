/**
 * A queue's callback lane: the queue of its own where a finished replay stores its callback
 * delivery, so the delivery does not wait behind every replay still waiting in the base
 * queue (issue #16). Workers consuming a queue look at its lane first (`withLanes`). A store
 * that hands a delivery over to the worker that settled its replay (Redis, database) stores it
 * on the lane as a job already taken: it never waits there (`JobLease.settle`).
 *
 * The suffix is safe in Redis keys (Bull's `<prefix>:<queue>:wait`; no `:` so a failed
 * job's id `<queue>:<jobId>` still splits at its last `:`) and in the `queue` varchar of the
 * SQL tables, and is not a name users pick for a queue of their own.
 */
export const CALLBACK_LANE_SUFFIX = '#callbacks';

import type { JobResult, NewJob } from './job.js';

/** The lane of `queue` (`api:request` → `api:request#callbacks`); a lane is its own lane. */
export function callbackLane(queue: string): string {
  return isCallbackLane(queue) ? queue : `${queue}${CALLBACK_LANE_SUFFIX}`;
}

export function isCallbackLane(queue: string): boolean {
  return queue.endsWith(CALLBACK_LANE_SUFFIX) && queue.length > CALLBACK_LANE_SUFFIX.length;
}

/** The queue users know a lane by (`api:request#callbacks` → `api:request`); other names as they are. */
export function baseQueue(queue: string): string {
  return isCallbackLane(queue) ? queue.slice(0, -CALLBACK_LANE_SUFFIX.length) : queue;
}

/**
 * What a worker consuming `queues` (highest priority first) takes from: each queue's lane
 * right before the queue, so deliveries go first and strict priority between queues holds
 * (`[high, default]` → `[high#callbacks, high, default#callbacks, default]`).
 */
export function withLanes(queues: readonly string[]): string[] {
  const all: string[] = [];
  for (const queue of queues) {
    for (const name of [callbackLane(queue), baseQueue(queue)]) if (!all.includes(name)) all.push(name);
  }
  return all;
}

/**
 * The delivery a result stores that the worker settling it may run next itself, without a
 * take (`JobLease.settle`'s `handOver`): a next job on a callback lane, due at once.
 */
export function deliveryToHandOver(result: JobResult): NewJob | undefined {
  const next = result.type === 'complete' || result.type === 'fail' ? result.next : undefined;
  return next && next.delayMs <= 0 && isCallbackLane(next.queue) ? next : undefined;
}
