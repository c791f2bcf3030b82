import type { WorkerStopReason } from './worker.js';

/**
 * Events of the worker itself, emitted next to the job events (`RequestQueueEvent`) through
 * `@nestjs/event-emitter` when the app has it.
 */
export const RequestQueueWorkerEvent = {
  /** The worker is about to look for a job (Laravel's `Looping`); often, so keep listeners cheap. */
  Looping: 'request-queue.worker.looping',
  /** The worker stops taking jobs (signal, shutdown, restart, or a limit); jobs in hand still finish. */
  Stopping: 'request-queue.worker.stopping',
} as const;

export type RequestQueueWorkerEventName = (typeof RequestQueueWorkerEvent)[keyof typeof RequestQueueWorkerEvent];

export interface RequestQueueWorkerEventPayload {
  /** The queues the worker takes jobs from, highest priority first. */
  queues: readonly string[];
  /** Why it stops (`stopping` only). */
  reason?: WorkerStopReason;
}
