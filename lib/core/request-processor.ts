import { createHash } from 'node:crypto';
import { backoffDelay, scheduleDelay } from './backoff.js';
import { baseQueue, callbackLane } from './callback-lane.js';
import type { CallbackSender } from './callback-sender.js';
import { RequestQueueEvent, type EventSink, type RequestQueueEventPayload } from './events.js';
import { jobBinding } from './job-binding.js';
import { openRequest } from './sealed-request.js';
import type { JobPayload, JobResult, NewJob, Outcome, ReservedJob, SealedCallback, SealedRequest } from './job.js';
import { describeFailure, isRetryable, workerDiedError, type ReplayResult } from './outcome.js';
import type { ReplayClient } from './replay-client.js';
import type { AttemptNote, FinalStatus } from './request-status.js';
import type { SealedBox } from './sealed-box.js';
import { statusBinding } from './status-view.js';
import { noTracer, type QueueTracer, type TraceCarrier, type TraceMessage } from '../observability/queue-tracer.js';

export interface ProcessorOptions {
  /** Delays in ms between callback delivery attempts; its length + 1 is the number of attempts. */
  callbackRetryDelays: readonly number[];
  /** Per-attempt timeout of a callback delivery, in ms. */
  callbackTimeout: number;
  /** How long a request's status record stays readable once final, ms (`statusTtl`). */
  statusTtl: number;
}

/**
 * Runs one job: a `replay` job replays the request and, once the outcome is known, hands
 * back the sealed outcome for its status record and (when the request named a callback) a
 * `callback` job; a `callback` job delivers that outcome. The store is told what to do
 * next (complete, retry after a delay, fail) and never decides it itself. A failed
 * delivery never replays the request again: it is a job of its own.
 */
export class RequestProcessor {
  constructor(
    private readonly box: SealedBox,
    private readonly replayClient: ReplayClient,
    private readonly sender: CallbackSender,
    private readonly options: ProcessorOptions,
    private readonly emit: EventSink = () => {},
    private readonly tracer: QueueTracer = noTracer,
  ) {}

  process(job: ReservedJob): Promise<JobResult> {
    const losses = job.leaseLosses ?? 0;
    if (losses > 0) this.emit(RequestQueueEvent.JobRecovered, { ...this.eventOf(job), leaseLosses: losses });
    if (job.leasesExhausted) return Promise.resolve(this.diedTooOften(job, losses));
    const p = job.payload;
    // retryUntil (SPEC §10): past the deadline, a replay is not tried again.
    if (p.kind === 'replay' && p.retryUntil !== undefined && Date.now() >= p.retryUntil) {
      return Promise.resolve(this.deadlinePassed(job, p.retryUntil));
    }
    const first = p.kind === 'replay' && job.attempt === 1;
    this.emit(RequestQueueEvent.Processing, {
      ...this.eventOf(job),
      ...(first && { waitMs: Math.max(0, Date.now() - p.queuedAt) }),
    });
    return job.payload.kind === 'replay' ? this.replay(job) : this.deliver(job);
  }

  /**
   * A replay whose `retryUntil` deadline passed before this attempt: failed without
   * running, with its failure callback and final status. `attempt` counts the attempts
   * that ran (this one did not).
   */
  private deadlinePassed(job: ReservedJob, deadline: number): JobResult {
    const ran = job.attempt - 1;
    const error = `retryUntil deadline passed (${new Date(deadline).toISOString()}, after ${ran} attempt${ran === 1 ? '' : 's'})`;
    return this.failedOutcome({ ...job, attempt: ran }, error);
  }

  /**
   * A replay's failure outcome without a response (it did not run: a deadline passed, or its
   * workers died): its callback (when it has one) and final status, so the client learns it.
   */
  private failedOutcome(job: ReservedJob, error: string, event: Partial<RequestQueueEventPayload> = {}): JobResult {
    const p = job.payload;
    let secret: SealedRequest;
    try {
      secret = openRequest(this.box, p.sealed, jobBinding(p));
    } catch (err) {
      return this.failed(job, `${error}; cannot open stored request: ${(err as Error).message}`);
    }
    const outcome = unanswered(job, error);
    this.emit(RequestQueueEvent.Failed, { ...this.eventOf(job), error, outcome, ...event });
    return {
      type: 'fail',
      error,
      next: this.callbackJob(job, secret.callbackToken, outcome, secret.trace),
      status: this.finalStatus(outcome),
    };
  }

  /**
   * A job the store gave up on: its workers died while running it, too often (a "poison"
   * request that kills its worker). It is not run again; a replay gets the failure outcome
   * of a replay that ran out of tries, with its callback and final status, so the client
   * that got the 202 learns it; a callback delivery goes to failed jobs.
   */
  private diedTooOften(job: ReservedJob, losses: number): JobResult {
    const error = workerDiedError(losses);
    if (job.payload.kind !== 'replay') return this.failed(job, error);
    return this.failedOutcome(job, error, { leaseLosses: losses });
  }

  private async replay(job: ReservedJob): Promise<JobResult> {
    const p = job.payload;
    let secret: SealedRequest;
    try {
      secret = openRequest(this.box, p.sealed, jobBinding(p));
    } catch (err) {
      const error = `cannot open stored request: ${(err as Error).message}`;
      return { ...this.failed(job, error), status: this.finalStatus(unanswered(job, error)) };
    }
    const span = this.tracer.start('process', this.traceMessage(job), secret.trace);
    const t0 = performance.now();
    const result = await span.run(() => this.replayClient.replay(p, secret, span.carrier));
    const durationMs = performance.now() - t0;
    const statusCode = result.type === 'response' ? result.status : undefined;
    span.end({ statusCode, ...(isRetryable(result) && { error: describeFailure(result) }) });
    const note: AttemptNote = { durationMs, ...(statusCode !== undefined && { status: statusCode }) };
    if (!isRetryable(result)) {
      const outcome = this.outcome(job, 'completed', result);
      this.emit(RequestQueueEvent.Completed, { ...this.eventOf(job), outcome, durationMs });
      return {
        type: 'complete',
        next: this.callbackJob(job, secret.callbackToken, outcome, span.carrier),
        status: this.finalStatus(outcome),
        note,
      };
    }
    const error = describeFailure(result);
    note.error = error;
    const delayMs = backoffDelay(p.backoff, job.attempt);
    // retryUntil wins over tries when it comes first: no retry that would start after it.
    const beyondDeadline = p.retryUntil !== undefined && Date.now() + delayMs >= p.retryUntil;
    if (job.attempt < p.tries && !beyondDeadline) {
      this.emit(RequestQueueEvent.Failed, { ...this.eventOf(job), error, retryInMs: delayMs, durationMs });
      return { type: 'retry', error, delayMs, note };
    }
    const attempts = `${job.attempt} attempt${job.attempt === 1 ? '' : 's'}`;
    const message =
      job.attempt < p.tries && beyondDeadline
        ? `${error} (after ${attempts}; retryUntil deadline passed (${new Date(p.retryUntil!).toISOString()}): the next attempt would start after it)`
        : `${error} (after ${attempts})`;
    const outcome = this.outcome(job, 'failed', result, message);
    this.emit(RequestQueueEvent.Failed, { ...this.eventOf(job), error: message, outcome, durationMs });
    return {
      type: 'fail',
      error: message,
      next: this.callbackJob(job, secret.callbackToken, outcome, span.carrier),
      status: this.finalStatus(outcome),
      note,
    };
  }

  /** The outcome as the status record keeps it: sealed, bound to the correlation id. */
  private finalStatus(outcome: Outcome): FinalStatus {
    return { result: this.box.seal(outcome, statusBinding(outcome.correlationId)), keepMs: this.options.statusTtl };
  }

  private async deliver(job: ReservedJob): Promise<JobResult> {
    const p = job.payload;
    let secret: SealedCallback;
    try {
      secret = this.box.open<SealedCallback>(p.sealed, jobBinding(p));
    } catch (err) {
      return this.failed(job, `cannot open stored callback: ${(err as Error).message}`);
    }
    const span = this.tracer.start('deliver', this.traceMessage(job), secret.trace);
    const t0 = performance.now();
    const sent = await span.run(() =>
      this.sender.send(p.callbackUrl, secret.callbackToken, p.webhookId!, secret.outcome, p.timeout, span.carrier),
    );
    const durationMs = performance.now() - t0;
    if (sent.type === 'delivered') {
      span.end({ statusCode: sent.status });
      this.emit(RequestQueueEvent.CallbackDelivered, { ...this.eventOf(job), durationMs });
      return { type: 'complete', note: { status: sent.status, durationMs } };
    }
    const error = sent.type === 'gone' ? 'callback receiver answered 410 Gone' : sent.error;
    span.end({ error, ...(sent.type === 'gone' && { statusCode: 410 }) });
    const note: AttemptNote = { durationMs, error, ...(sent.type === 'gone' ? { status: 410 } : {}) };
    // A refused address (SSRF policy) is as final as a 410: no retry can make it acceptable.
    const delayMs = sent.type === 'failed' ? scheduleDelay(this.options.callbackRetryDelays, job.attempt) : null;
    this.emit(RequestQueueEvent.CallbackFailed, {
      ...this.eventOf(job),
      error,
      retryInMs: delayMs ?? undefined,
      durationMs,
    });
    return delayMs === null ? { type: 'fail', error, note } : { type: 'retry', error, delayMs, note };
  }

  private failed(job: ReservedJob, error: string): Extract<JobResult, { type: 'fail' }> {
    this.emit(RequestQueueEvent.Failed, { ...this.eventOf(job), error });
    return { type: 'fail', error };
  }

  private outcome(job: ReservedJob, status: Outcome['status'], result: ReplayResult, error?: string): Outcome {
    return {
      correlationId: job.payload.correlationId,
      status,
      attempts: job.attempt,
      response:
        result.type === 'response' ? { status: result.status, headers: result.headers, body: result.body } : null,
      ...(error === undefined ? {} : { error }),
    };
  }

  /**
   * The delivery of `outcome`; none for a request queued without a callback (`Prefer: respond-async`).
   * It goes to the queue's callback lane, which workers look at before the queue itself: a
   * delivery never waits behind the replays still waiting (issue #16).
   */
  private callbackJob(
    job: ReservedJob,
    callbackToken: string,
    outcome: Outcome,
    trace: TraceCarrier | undefined,
  ): NewJob | undefined {
    const p = job.payload;
    if (p.callbackUrl === '') return undefined;
    const sealed: SealedCallback = { callbackToken, outcome, ...(trace && { trace }) };
    const payload: JobPayload = {
      v: 1,
      kind: 'callback',
      correlationId: p.correlationId,
      method: p.method,
      path: p.path,
      callbackUrl: p.callbackUrl,
      queuedAt: p.queuedAt,
      tries: this.options.callbackRetryDelays.length + 1,
      backoff: p.backoff,
      timeout: this.options.callbackTimeout,
      webhookId: webhookIdFor(p.correlationId, job.id),
      sealed: '',
    };
    payload.sealed = this.box.seal(sealed, jobBinding(payload));
    return { queue: callbackLane(job.queue), payload, delayMs: 0 };
  }

  private traceMessage(job: ReservedJob): TraceMessage {
    const p = job.payload;
    return {
      queue: baseQueue(job.queue),
      correlationId: p.correlationId,
      messageId: job.id,
      attempt: job.attempt,
      method: p.method,
    };
  }

  private eventOf(job: ReservedJob): RequestQueueEventPayload {
    const p = job.payload;
    return {
      jobId: job.id,
      queue: baseQueue(job.queue), // a lane is part of its queue
      correlationId: p.correlationId,
      method: p.method,
      path: p.path,
      kind: p.kind,
      attempt: job.attempt,
    };
  }
}

/**
 * The `webhook-id` of the delivery for one replay job: the same for every attempt and for
 * a second run of the same job after a worker crash, so receivers can drop duplicates.
 */
export function webhookIdFor(correlationId: string, jobId: string): string {
  return `msg_${createHash('sha256').update(`${correlationId}\n${jobId}`).digest('base64url').slice(0, 27)}`;
}

/** The failure outcome of a replay that got no response (it did not run, or never answered usably). */
function unanswered(job: ReservedJob, error: string): Outcome {
  return { correlationId: job.payload.correlationId, status: 'failed', attempts: job.attempt, response: null, error };
}
