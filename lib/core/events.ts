import type { JobPayload, Outcome } from './job.js';

/** Lifecycle events, as emitted through `@nestjs/event-emitter` when it is installed. */
export const RequestQueueEvent = {
  Queued: 'request-queue.queued',
  Processing: 'request-queue.processing',
  Completed: 'request-queue.completed',
  Failed: 'request-queue.failed',
  CallbackDelivered: 'request-queue.callback.delivered',
  CallbackFailed: 'request-queue.callback.failed',
  /** A worker took a job that a dead worker held (its lease expired); `leaseLosses` says how many times. */
  JobRecovered: 'request-queue.job.recovered',
} as const;

export type RequestQueueEventName = (typeof RequestQueueEvent)[keyof typeof RequestQueueEvent];

export interface RequestQueueEventPayload {
  jobId?: string;
  queue: string;
  correlationId: string;
  method: string;
  path: string;
  kind: JobPayload['kind'];
  attempt?: number;
  outcome?: Outcome;
  error?: string;
  /** When the job will be tried again, for a failure that retries. */
  retryInMs?: number;
  /** Times a worker died holding the job (`job.recovered`, and a failure for lost leases). */
  leaseLosses?: number;
  /** How long the attempt took: the replay (`completed`, `failed`) or the delivery (`callback.*`), ms. */
  durationMs?: number;
  /** `processing` of a replay's first attempt: how long it waited since its 202, ms. */
  waitMs?: number;
}

export type EventSink = (name: RequestQueueEventName, payload: RequestQueueEventPayload) => void;
