import { randomUUID } from 'node:crypto';
import type { BackoffOptions } from './backoff.js';
import { readCallbackParams } from './callback-params.js';
import type { CallbackUrlPolicy } from './callback-url.js';
import { readCorrelationId } from './correlation-id.js';
import { StoreUnavailableError } from './errors.js';
import { RequestQueueEvent, type EventSink } from './events.js';
import type { JobPayload, SealedRequest } from './job.js';
import { captureRequest, type IncomingRequest } from './request-capture.js';
import { sealJob, type PlainJob } from './job-seal.js';
import { checkQueuedRequest, type LimitReason, type RequestLimits } from './request-limits.js';
import { REPLAY_MARKER_HEADER, verifyReplayMarker } from './replay-marker.js';
import type { RequestStore } from './request-store.js';
import type { SealedBox } from './sealed-box.js';
import type { RequestFingerprintParts, StatusLinks } from './status-links.js';
import { noTracer, type QueueTracer } from '../observability/queue-tracer.js';
import type { FlowOptions, FlowRequest, FunnelOptions, ThrottleOptions } from '../flow/flow-options.js';
import { checkRetryUntil, jobFlow } from '../flow/flow-settings.js';

/** Per-route settings from `@QueueableRequest()`, over the module's defaults. */
export interface RouteQueueOptions {
  queue?: string;
  tries?: number;
  backoff?: BackoffOptions;
  /** Replay attempt timeout, ms. */
  timeout?: number;
  /** Wait this long before the first replay, ms. */
  delay?: number;
  /** At most `allow` replays start per `every` ms, per `key` when given (README "Flow control", lib/flow). */
  throttle?: ThrottleOptions;
  /** At most `limit` replays run at once, per `key` when given (README "Flow control", lib/flow). */
  funnel?: FunnelOptions;
  /** Not tried again later than this many ms after the 202; fails with a failure callback (README "Flow control"). */
  retryUntil?: number;
  /**
   * Names the route's throttle and funnel counts (the same in every process). Set by the
   * interceptor (`Controller.handler`); set it yourself to share one count between routes.
   */
  flowScope?: string;
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
  /** Idempotency-Key mode: a retried queued request gets its first answer again (README "Where is my request?"). */
  idempotencyKey: boolean;
  callbackPolicy: CallbackUrlPolicy;
  limits: RequestLimits;
  /** Flow control per queue (module option `flow`), under a route's own (lib/flow). */
  queueFlow?: Readonly<Record<string, FlowOptions>>;
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

export type RejectReason =
  'bad-correlation-id' | 'bad-callback' | 'conflict' | 'idempotency-mismatch' | 'unavailable' | LimitReason;

export type GateDecision =
  /** Run the handler: a method that is never queued, or the worker's own replay. */
  | { type: 'pass'; correlationId: string }
  /** Run the handler: no callback parameters; the id is claimed (unless `claimSynchronousRequests` is off). */
  | { type: 'sync'; correlationId: string }
  /**
   * Stored (or, in the Idempotency-Key mode, stored by an earlier identical request:
   * `repeated`); answer 202 with `statusUrl` as `Location`. `respondAsync`: queued because
   * of `Prefer: respond-async` (answer `Preference-Applied`).
   */
  | {
      type: 'queued';
      correlationId: string;
      jobId: string;
      statusUrl: string;
      respondAsync: boolean;
      repeated: boolean;
    }
  | { type: 'reject'; reason: RejectReason; correlationId?: string; message: string; field?: string };

/** Where an accepted request's outcome goes: a signed callback, or only its status resource. */
type Delivery = { url: string; token: string };

/** Whether the request asks to be answered asynchronously (RFC 7240 `Prefer: respond-async`). */
export function prefersRespondAsync(prefer: string | string[] | undefined): boolean {
  if (prefer === undefined) return false;
  const values = Array.isArray(prefer) ? prefer : [prefer];
  return values.some((value) =>
    value.split(',').some((item) => item.split(';', 1)[0]!.split('=', 1)[0]!.trim().toLowerCase() === 'respond-async'),
  );
}

/**
 * Decides what happens to a request on a queueable route (README "HTTP contract" and "Where is my request?"), in plain
 * TypeScript: pass through, run synchronously after claiming the id, store it for the
 * worker (with callback parameters, or without them under `Prefer: respond-async`), or
 * refuse it with a reason the HTTP layer turns into 400/409/422/503.
 */
export class RequestGate {
  /** The header's name as Node and Fastify give it: lower-case. */
  private readonly headerKey: string;

  constructor(
    private readonly settings: GateSettings,
    private readonly store: RequestStore,
    private readonly box: SealedBox,
    private readonly markerKey: Buffer,
    private readonly links: StatusLinks,
    private readonly emit: EventSink = () => {},
    private readonly watch: StoreWatch = { failed: () => {}, worked: () => {} },
    private readonly tracer: QueueTracer = noTracer,
  ) {
    this.headerKey = settings.correlationHeader.toLowerCase();
  }

  /** `raw`: the adapter's own request, handed to flow keys (`throttle.key`, `funnel.key`) [`req`]. */
  async admit(
    req: IncomingRequest,
    query: Record<string, unknown> | undefined,
    route: RouteQueueOptions,
    raw: FlowRequest = req as unknown as FlowRequest,
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
    const respondAsync = prefersRespondAsync(req.headers.prefer);
    const delivery: Delivery | null =
      callback.kind === 'valid' ? callback : respondAsync ? { url: '', token: '' } : null;
    if (!delivery && !this.settings.claimSynchronousRequests) return { type: 'sync', correlationId };
    try {
      if (!delivery) {
        const claimed = await this.store.claim(correlationId, this.settings.correlationTtl);
        this.watch.worked();
        return claimed ? { type: 'sync', correlationId } : conflict(correlationId);
      }
      return await this.enqueue(req, correlationId, delivery, respondAsync, route, raw);
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
    delivery: Delivery,
    respondAsync: boolean,
    route: RouteQueueOptions,
    raw: FlowRequest,
  ): Promise<GateDecision> {
    const captured = captureRequest(req, this.headerKey);
    const refused = checkQueuedRequest(req.headers, captured, this.settings.limits);
    if (refused) return { type: 'reject', correlationId, ...refused };
    const queue = route.queue ?? this.settings.queue;
    const span = this.tracer.start('send', { queue, correlationId, method: captured.method }, req.headers);
    const secret: SealedRequest = {
      headers: captured.headers,
      body: captured.body,
      callbackToken: delivery.token,
      ...(span.carrier && { trace: span.carrier }),
    };
    const fingerprintParts: RequestFingerprintParts = {
      method: captured.method,
      path: captured.path,
      body: captured.body,
      callbackUrl: delivery.url,
      callbackToken: delivery.token,
    };
    const plain: PlainJob<'replay'> = {
      v: 1,
      kind: 'replay',
      correlationId,
      method: captured.method,
      path: captured.path,
      callbackUrl: delivery.url,
      queuedAt: Date.now(),
      tries: route.tries ?? this.settings.tries,
      backoff: route.backoff ?? this.settings.backoff,
      timeout: route.timeout ?? this.settings.timeout,
      ...this.flowFields(queue, route, raw, Date.now()),
    };
    const payload = sealJob(this.box, plain, secret);
    let jobId: string | null;
    try {
      jobId = await this.store.enqueue(
        { queue, payload, delayMs: route.delay ?? 0 },
        correlationId,
        this.settings.correlationTtl,
        this.settings.idempotencyKey ? { fingerprint: this.links.fingerprint(fingerprintParts) } : undefined,
      );
    } catch (err) {
      span.end({ error: (err as Error).message });
      throw err;
    }
    // A null id is a reused correlation id: a 409, or the first request's 202 again (Idempotency-Key mode).
    span.end(
      jobId !== null
        ? { messageId: jobId }
        : this.settings.idempotencyKey
          ? {}
          : { error: 'correlation id already used' },
    );
    this.watch.worked();
    if (jobId === null) {
      return this.settings.idempotencyKey
        ? this.repeat(correlationId, fingerprintParts, respondAsync)
        : conflict(correlationId);
    }
    this.emit(RequestQueueEvent.Queued, {
      jobId,
      queue,
      correlationId,
      method: payload.method,
      path: payload.path,
      kind: 'replay',
    });
    return {
      type: 'queued',
      correlationId,
      jobId,
      statusUrl: this.links.url(correlationId),
      respondAsync,
      repeated: false,
    };
  }

  /**
   * Flow control stored with the job (lib/flow): the route's throttle and funnel, else its
   * queue's, keys computed from the request now and hashed; `retryUntil` as a unix ms deadline.
   */
  private flowFields(
    queue: string,
    route: RouteQueueOptions,
    raw: FlowRequest,
    now: number,
  ): Pick<JobPayload, 'flow' | 'retryUntil'> {
    const fields: Pick<JobPayload, 'flow' | 'retryUntil'> = {};
    const onQueue = this.settings.queueFlow?.[queue];
    const routeScope = `route:${route.flowScope ?? queue}`;
    // One count per route, or per queue when the limit comes from the queue's options.
    const throttle = jobFlow(
      { throttle: route.throttle ?? onQueue?.throttle },
      route.throttle ? routeScope : `queue:${queue}`,
      raw,
      this.markerKey,
    );
    const funnel = jobFlow(
      { funnel: route.funnel ?? onQueue?.funnel },
      route.funnel ? routeScope : `queue:${queue}`,
      raw,
      this.markerKey,
    );
    if (throttle || funnel) fields.flow = { ...throttle, ...funnel };
    if (route.retryUntil !== undefined) fields.retryUntil = now + checkRetryUntil(route.retryUntil, routeScope);
    return fields;
  }

  /**
   * Idempotency-Key mode, the key already held: the first request's answer again when this
   * is the same request, 422 when it is another one, 409 when no queued request holds the
   * key (the first is still being accepted, or the key went to a synchronous request).
   */
  private async repeat(
    correlationId: string,
    parts: RequestFingerprintParts,
    respondAsync: boolean,
  ): Promise<GateDecision> {
    const first = await this.store.readStatus(correlationId);
    if (!first?.fingerprint) return conflict(correlationId);
    if (!this.links.sameRequest(first.fingerprint, parts)) {
      return {
        type: 'reject',
        reason: 'idempotency-mismatch',
        correlationId,
        message: `${this.settings.correlationHeader} '${correlationId}' was already used for a different request (its method, path, body or callback parameters differ)`,
        field: this.settings.correlationHeader,
      };
    }
    return {
      type: 'queued',
      correlationId,
      jobId: first.jobId,
      statusUrl: this.links.url(correlationId),
      respondAsync,
      repeated: true,
    };
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
