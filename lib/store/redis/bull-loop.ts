import type Bull from 'bull';

/**
 * The four methods of Bull 4's own processing loop (`Queue#run`) that this store drives
 * itself, so that it can take jobs across queues in priority order and stop after exactly
 * N jobs, which `queue.process()` cannot do. They are on `Queue.prototype` in every Bull
 * 3.x/4.x release but left out of its typings; Bull 4 is in maintenance mode. This file is
 * the only place that touches them, and `bullLoop` checks they are there.
 */
interface BullQueueLoop {
  /** Subscribes to the delayed-jobs channel and starts the timer that promotes due delayed jobs. */
  _initProcess(): Promise<void>;
  /** Moves jobs whose worker lost its lock (crashed, or left them past its grace period) back to wait. */
  moveUnlockedJobsToWait(): Promise<void>;
  /** Runs `moveUnlockedJobsToWait` every `stalledInterval` until the queue closes. */
  startMoveUnlockedJobsToWait(): void;
  /** Moves the next waiting job to active under this queue's lock, without blocking; null when none waits. */
  moveToActive(): Promise<Bull.Job | null>;
}

const METHODS = ['_initProcess', 'moveUnlockedJobsToWait', 'startMoveUnlockedJobsToWait', 'moveToActive'] as const;

export function bullLoop<T>(queue: Bull.Queue<T>): {
  init(): Promise<void>;
  take(): Promise<Bull.Job<T> | null>;
} {
  const loop = queue as unknown as BullQueueLoop;
  for (const name of METHODS) {
    if (typeof loop[name] !== 'function') {
      throw new Error(`the installed bull lacks Queue#${name}; the redis driver needs bull 4.x`);
    }
  }
  return {
    async init() {
      await loop._initProcess();
      await loop.moveUnlockedJobsToWait();
      loop.startMoveUnlockedJobsToWait();
    },
    take: () => loop.moveToActive() as Promise<Bull.Job<T> | null>,
  };
}
