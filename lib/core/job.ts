import type { BackoffOptions } from './backoff.js';
import type { AttemptNote, FinalStatus } from './request-status.js';
import type { TraceCarrier } from '../observability/queue-tracer.js';
import type { JobFlow } from '../flow/flow-options.js';

/**
 * What a queue holds for one request. The plain fields are what operators see (`failed`
 * lists them); everything secret — headers, body, callback token, the replay's answer —
 * lives in `sealed`, encrypted by `SealedBox`.
 */
export interface JobPayload {
  v: 1;
  /** `replay`: replay the request, then deliver its outcome. `callback`: deliver only. */
  kind: 'replay' | 'callback';
  correlationId: string;
  method: string;
  /** Path with its query string, callback parameters removed. */
  path: string;
  /** Where the outcome is POSTed; empty for a request queued with `Prefer: respond-async` (no callback). */
  callbackUrl: string;
  /** Unix ms when the request was accepted. */
  queuedAt: number;
  /** Replay attempts allowed (replay jobs) or delivery attempts allowed (callback jobs). */
  tries: number;
  backoff: BackoffOptions;
  /** Per-attempt timeout in ms. */
  timeout: number;
  /** Standard Webhooks `webhook-id`, fixed for the life of one delivery (callback jobs). */
  webhookId?: string;
  sealed: string;
  /**
   * Times a worker died holding this job (its lease expired before a result), for stores
   * that keep the count in the payload (the database driver). Not bound to `sealed`.
   */
  leaseLosses?: number;
  /** Flow control (throttle, funnel) of a replay job, computed at the 202; keys hashed (`lib/flow`). */
  flow?: JobFlow;
  /** Unix ms after which a replay job is not tried again (`retryUntil`, from the 202). */
  retryUntil?: number;
}

/** The secret half of a replay job (sealed as a binary frame: `sealed-request.ts`). */
export interface SealedRequest {
  headers: Record<string, string>;
  /** The body bytes, or null for no body. */
  body: Buffer | null;
  /** Empty when there is no callback (`Prefer: respond-async`). */
  callbackToken: string;
  /** Trace context of the 202 (W3C `traceparent`/`tracestate`): the replay continues that trace. */
  trace?: TraceCarrier;
}

/** The outcome a callback reports. */
export interface Outcome {
  correlationId: string;
  status: 'completed' | 'failed';
  attempts: number;
  response: {
    status: number;
    headers: Record<string, string>;
    body: unknown;
  } | null;
  error?: string;
}

/** The secret half of a callback job. */
export interface SealedCallback {
  callbackToken: string;
  outcome: Outcome;
  /** Trace context of the replay that produced the outcome: the delivery continues that trace. */
  trace?: TraceCarrier;
}

/** A job as a store hands it to the worker. */
export interface ReservedJob {
  /** The store's id for the job. */
  id: string;
  queue: string;
  payload: JobPayload;
  /** Attempts started so far, including this one (1 on the first run). */
  attempt: number;
  /**
   * Times a worker died holding this job: its lease expired before a result (0 or absent
   * when never). A job with lost leases is run alone by the consume loop (poison isolation).
   */
  leaseLosses?: number;
  /**
   * Set when the store gives up on the job: it lost too many leases (its replay likely
   * kills its worker). It is handed over once more, not to run, but to be turned into a
   * failure outcome: the handler must answer `fail` (the processor builds the failure
   * callback and the final status record from it). `attempt` is then the attempts that
   * were started (this hand-over not counted).
   */
  leasesExhausted?: boolean;
}

/** A job to store: its queue, payload, and how long to wait before it may run. */
export interface NewJob {
  queue: string;
  payload: JobPayload;
  delayMs: number;
}

/**
 * What the worker tells the store to do with a job it ran. For a replay job, `status` is
 * what its status record keeps once final (the sealed outcome); the store writes it in the
 * same step that finishes the job. Callback jobs carry no `status`. `note` describes the
 * attempt for the request's timeline (replays and deliveries alike).
 */
export type JobResult = (
  | { type: 'complete'; next?: NewJob; status?: FinalStatus }
  | { type: 'retry'; error: string; delayMs: number }
  | { type: 'fail'; error: string; next?: NewJob; status?: FinalStatus }
  /**
   * Flow control held the job back before it ran (`lib/flow`): runnable again after
   * `delayMs`, the reservation undone, so its attempt count is as before (not an attempt).
   * `error` says why (for logs); a release stores nothing else (`next` never).
   */
  | { type: 'release'; delayMs: number; error: string; next?: never }
) & {
  /** The attempt's status code and duration, for the request's timeline (never a header or body). */
  note?: AttemptNote;
};

/** A job in the failed set, as operators see it. */
export interface FailedJob {
  id: string;
  queue: string;
  kind: JobPayload['kind'];
  correlationId: string;
  method: string;
  path: string;
  error: string;
  failedAt: Date;
  attempts: number;
}
