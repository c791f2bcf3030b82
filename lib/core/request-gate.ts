import { randomUUID } from 'node:crypto';
import type { BackoffOptions } from './backoff.js';
import { readCallbackParams, type CallbackParams } from './callback-params.js';
import type { CallbackUrlPolicy } from './callback-url.js';
import { readCorrelationId } from './correlation-id.js';
import { RequestQueueEvent, type EventSink } from './events.js';
import type { JobPayload, SealedRequest } from './job.js';
import { captureRequest, type IncomingRequest } from './request-capture.js';
import { jobBinding } from './job-binding.js';
import { checkQueuedRequest, type LimitReason, type RequestLimits } from './request-limits.js';
import { REPLAY_MARKER_HEADER, verifyReplayMarker } from './replay-marker.js';
import type { SealedBox } from './sealed-box.js';
import { StoreUnavailableError, type RequestQueueStore } from '../store/request-queue.store.js';

/** Per-route settings from `@QueueableRequest()`, over the module's defaults. */
export interface RouteQueueOptions {
  queue?: string;
  tries?: number;
  backoff?: BackoffOptions;
  /** Replay attempt timeout, ms. */
  timeout?: number;
  /** Wait this long before the first replay, ms. */
  delay?: number;
}

export interface GateSettings {
  methods: ReadonlySet<string>;
  queue: string;
  tries: number;
  backoff: BackoffOptions;
  timeout: number;
  correlationTtl: number;
  /** The correlation id header, as configured (`X-Correlation-ID` by default). */
  correlationHeader: string;
  /** Whether a request without callback parameters claims its id (409 on reuse). */
  claimSynchronousRequests: boolean;
  callbackPolicy: CallbackUrlPolicy;
  limits: RequestLimits;
}

/**
 * Hears how the store's calls went, for the logs (the HTTP answer stays a generic 503).
 * Called on the request path: must be cheap and must not throw.
 */
export interface StoreWatch {
  /** A claim or enqueue failed with `StoreUnavailableError`; `cause` is its message. */
  failed(cause: string): void;
  /** A claim or enqueue reached the store (stored, or answered that the id was taken). */
  worked(): void;
}

export type RejectReason = 'bad-correlation-id' | 'bad-callback' | 'conflict' | 'unavailable' | LimitReason;

export type GateDecision =
  /** Run the handler: a method that is never queued, or the worker's own replay. */
  | { type: 'pass'; correlationId: string }
  /** Run the handler: no callback parameters; the id is claimed (unless `claimSynchronousRequests` is off). */
  | { type: 'sync'; correlationId: string }
  /** Stored; answer 202. */
  | { type: 'queued'; correlationId: string; jobId: string }
  | { type: 'reject'; reason: RejectReason; correlationId?: string; message: string; field?: string };

/**
 * Decides what happens to a request on a queueable route (SPEC §3), in plain TypeScript:
 * pass through, run synchronously after claiming the id, store it for the worker, or
 * refuse it with a reason the HTTP layer turns into 400/409/422/503.
 */
export class RequestGate {
  /** The header's name as Node and Fastify give it: lower-case. */
  private readonly headerKey: string;

  constructor(
    private readonly settings: GateSettings,
    private readonly store: RequestQueueStore,
    private readonly box: SealedBox,
    private readonly markerKey: Buffer,
    private readonly emit: EventSink = () => {},
    private readonly watch: StoreWatch = { failed: () => {}, worked: () => {} },
  ) {
    this.headerKey = settings.correlationHeader.toLowerCase();
  }

  async admit(
    req: IncomingRequest,
    query: Record<string, unknown> | undefined,
    route: RouteQueueOptions,
  ): Promise<GateDecision> {
    const method = req.method.toUpperCase();
    const read = readCorrelationId(req.headers[this.headerKey], this.settings.correlationHeader);
    if (!this.settings.methods.has(method)) {
      return { type: 'pass', correlationId: read.ok ? read.id : randomUUID() };
    }
    if (!read.ok) return { type: 'reject', reason: 'bad-correlation-id', message: read.reason };
    const correlationId = read.id;

    const marker = req.headers[REPLAY_MARKER_HEADER];
    if (typeof marker === 'string' && verifyReplayMarker(this.markerKey, marker, correlationId, method, req.url)) {
      return { type: 'pass', correlationId };
    }

    const callback = readCallbackParams(
      req.body as Record<string, unknown> | undefined,
      query,
      this.settings.callbackPolicy,
    );
    if (callback.kind === 'invalid') {
      return {
        type: 'reject',
        reason: 'bad-callback',
        correlationId,
        message: callback.message,
        field: callback.field,
      };
    }
    if (callback.kind === 'none' && !this.settings.claimSynchronousRequests) return { type: 'sync', correlationId };
    try {
      if (callback.kind === 'none') {
        const claimed = await this.store.claim(correlationId, this.settings.correlationTtl);
        this.watch.worked();
        return claimed ? { type: 'sync', correlationId } : conflict(correlationId);
      }
      return await this.enqueue(req, correlationId, callback, route);
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        this.watch.failed(err.message);
        return {
          type: 'reject',
          reason: 'unavailable',
          correlationId,
          message: 'the request queue is unavailable, try again later',
        };
      }
      throw err;
    }
  }

  private async enqueue(
    req: IncomingRequest,
    correlationId: string,
    callback: Extract<CallbackParams, { kind: 'valid' }>,
    route: RouteQueueOptions,
  ): Promise<GateDecision> {
    const captured = captureRequest(req, this.headerKey);
    const refused = checkQueuedRequest(req.headers, captured, this.settings.limits);
    if (refused) return { type: 'reject', correlationId, ...refused };
    const secret: SealedRequest = {
      headers: captured.headers,
      body: captured.body === null ? null : captured.body.toString('base64'),
      callbackToken: callback.token,
    };
    const queue = route.queue ?? this.settings.queue;
    const payload: JobPayload = {
      v: 1,
      kind: 'replay',
      correlationId,
      method: captured.method,
      path: captured.path,
      callbackUrl: callback.url,
      queuedAt: Date.now(),
      tries: route.tries ?? this.settings.tries,
      backoff: route.backoff ?? this.settings.backoff,
      timeout: route.timeout ?? this.settings.timeout,
      sealed: '',
    };
    payload.sealed = this.box.seal(secret, jobBinding(payload));
    const jobId = await this.store.enqueue(
      { queue, payload, delayMs: route.delay ?? 0 },
      correlationId,
      this.settings.correlationTtl,
    );
    this.watch.worked();
    if (jobId === null) return conflict(correlationId);
    this.emit(RequestQueueEvent.Queued, {
      jobId,
      queue,
      correlationId,
      method: payload.method,
      path: payload.path,
      kind: 'replay',
    });
    return { type: 'queued', correlationId, jobId };
  }
}

function conflict(correlationId: string): GateDecision {
  return {
    type: 'reject',
    reason: 'conflict',
    correlationId,
    message: `correlation id '${correlationId}' was already used`,
  };
}
