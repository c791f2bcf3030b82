/**
 * The trace context a job carries to its next hop (the replay, the callback): header
 * fields as the app's propagator writes them (W3C `traceparent` and `tracestate` by
 * default). Kept in the job's sealed part, never in clear.
 */
export type TraceCarrier = Record<string, string>;

/** Header fields a span's parent is read from: an incoming request's headers or a stored carrier. */
export type TraceParent = Record<string, string | string[] | undefined>;

/**
 * The three hops of a queued request: `send` (stored at the 202, a PRODUCER span),
 * `process` (replayed by a worker, CONSUMER) and `deliver` (its outcome POSTed to the
 * callback, CLIENT).
 */
export type TraceOperation = 'send' | 'process' | 'deliver';

/** What a span says about the job (messaging semantic conventions). */
export interface TraceMessage {
  /** The queue users know (a callback lane is part of its queue). */
  queue: string;
  correlationId: string;
  /** The store's job id, when known at the start. */
  messageId?: string;
  /** Attempt number of a replay or delivery. */
  attempt?: number;
  /** The queued request's method. */
  method: string;
}

/** How a hop ended: `error` marks the span failed. */
export interface TraceEnd {
  messageId?: string;
  error?: string;
  /** The HTTP status the replay or the callback receiver answered. */
  statusCode?: number;
}

/** One hop in progress. */
export interface TraceSpan {
  /** What the hop sends on (its request headers) and stores for the next hop; undefined: nothing to carry. */
  readonly carrier: TraceCarrier | undefined;
  /** Runs `fn` with this span as the active one (so an instrumented HTTP client nests under it). */
  run<T>(fn: () => T): T;
  end(result?: TraceEnd): void;
}

/**
 * Starts the span of one hop. Implemented over `@opentelemetry/api` when the app has it
 * (`tracing.ts`), and otherwise by `passThroughTracer`, which makes no spans but still
 * carries the client's own `traceparent` along.
 */
export interface QueueTracer {
  start(operation: TraceOperation, message: TraceMessage, parent: TraceParent | undefined): TraceSpan;
}

/** A W3C `traceparent` (version 00 or later, non-zero ids). */
const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

function field(parent: TraceParent | undefined, name: string): string | undefined {
  const value = parent?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The W3C fields of `parent` as they are, when its `traceparent` is well formed. */
export function w3cFields(parent: TraceParent | undefined): TraceCarrier | undefined {
  const traceparent = field(parent, 'traceparent')?.trim().toLowerCase();
  if (!traceparent || !TRACEPARENT.test(traceparent) || traceparent.startsWith('ff')) return undefined;
  const tracestate = field(parent, 'tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** The header fields a carrier replaces on the next hop's request. */
export const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/**
 * No spans (no `@opentelemetry/api`, or `tracing: false`): the client's `traceparent` and
 * `tracestate` still travel with the job, so the handler's own spans and the callback's
 * receiver see the client's trace.
 */
export const passThroughTracer: QueueTracer = {
  start(_operation, _message, parent) {
    const carrier = w3cFields(parent);
    return { carrier, run: (fn) => fn(), end: () => {} };
  },
};

/** `tracing: false`: no spans, and no trace context stored with jobs. */
export const noTracer: QueueTracer = {
  start() {
    return { carrier: undefined, run: (fn) => fn(), end: () => {} };
  },
};
