import type { OtelApi, OtelAttributes, OtelContext, OtelSpan, OtelTracer } from './otel-api.js';
import {
  w3cFields,
  type QueueTracer,
  type TraceCarrier,
  type TraceEnd,
  type TraceMessage,
  type TraceOperation,
  type TraceParent,
  type TraceSpan,
} from './queue-tracer.js';

/** `messaging.system` of every span: this library is the messaging system. */
export const MESSAGING_SYSTEM = 'nestjs-request-queue';
const TRACER_NAME = 'nestjs-request-queue';

/**
 * Spans of the three hops through `@opentelemetry/api` (a no-op until the app registers an
 * SDK), named and described per the messaging semantic conventions:
 *
 * - `send <queue>` (PRODUCER) at the 202: a child of the active span (the app's HTTP server
 *   span, with HTTP instrumentation) or else of the request's own `traceparent`;
 * - `process <queue>` (CONSUMER) around each replay, a child of the `send` span; the replay
 *   carries it as `traceparent`, so the handler's spans join the same trace;
 * - `deliver <queue>` (CLIENT) around each callback delivery, a child of the `process` span
 *   that produced the outcome; the callback request carries it as `traceparent`.
 *
 * The context goes from hop to hop through the app's propagator (W3C Trace Context unless
 * the app configured another). With no propagator registered the client's own W3C fields
 * are carried as they came.
 */
export class OtelQueueTracer implements QueueTracer {
  private readonly tracer: OtelTracer;
  /** Span names per queue and operation (`send default`), built once. */
  private readonly names = new Map<string, Record<TraceOperation, string>>();
  private readonly kinds: Record<TraceOperation, number>;

  constructor(private readonly api: OtelApi) {
    this.tracer = api.trace.getTracer(TRACER_NAME);
    const { SpanKind } = api;
    this.kinds = { send: SpanKind.PRODUCER, process: SpanKind.CONSUMER, deliver: SpanKind.CLIENT };
  }

  start(operation: TraceOperation, message: TraceMessage, parent: TraceParent | undefined): TraceSpan {
    const api = this.api;
    const active = api.context.active();
    const base: OtelContext =
      operation === 'send' && api.trace.getSpan(active)
        ? active
        : api.propagation.extract(api.ROOT_CONTEXT, parent ?? NO_FIELDS);
    const span = this.tracer.startSpan(
      this.nameOf(operation, message.queue),
      { kind: this.kinds[operation], attributes: attributesOf(operation, message) },
      base,
    );
    const context = api.trace.setSpan(base, span);
    const injected: TraceCarrier = {};
    api.propagation.inject(context, injected);
    return new OtelTraceSpan(api, span, context, hasFields(injected) ? injected : w3cFields(parent));
  }

  private nameOf(operation: TraceOperation, queue: string): string {
    let names = this.names.get(queue);
    if (names === undefined) {
      names = { send: `send ${queue}`, process: `process ${queue}`, deliver: `deliver ${queue}` };
      // Queue names come from the app's configuration: a bounded set, but bounded here too.
      if (this.names.size < 1000) this.names.set(queue, names);
    }
    return names[operation];
  }
}

const NO_FIELDS: TraceParent = Object.freeze({});

function hasFields(carrier: TraceCarrier): boolean {
  for (const _ in carrier) return true;
  return false;
}

/** One hop's span: methods on a class, not closures made per request. */
class OtelTraceSpan implements TraceSpan {
  private ended = false;

  constructor(
    private readonly api: OtelApi,
    private readonly span: OtelSpan,
    private readonly context: OtelContext,
    readonly carrier: TraceCarrier | undefined,
  ) {}

  run<T>(fn: () => T): T {
    return this.api.context.with(this.context, fn);
  }

  end(result?: TraceEnd): void {
    if (this.ended) return;
    this.ended = true;
    const span = this.span;
    // A span the SDK does not record (sampled out) takes no attributes: skip building them.
    if (result && span.isRecording?.() !== false) {
      if (result.messageId !== undefined) span.setAttribute('messaging.message.id', result.messageId);
      if (result.statusCode !== undefined) span.setAttribute('http.response.status_code', result.statusCode);
      if (result.error !== undefined) {
        span.setAttribute('error.type', 'request_queue_error');
        span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: result.error });
      }
    }
    span.end();
  }
}

function attributesOf(operation: TraceOperation, message: TraceMessage): OtelAttributes {
  const attributes: OtelAttributes = {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.destination.name': message.queue,
    'messaging.operation.type': operation === 'process' ? 'process' : 'send',
    'messaging.operation.name': operation,
    'messaging.message.conversation_id': message.correlationId,
    'http.request.method': operation === 'deliver' ? 'POST' : message.method,
  };
  if (message.messageId !== undefined) attributes['messaging.message.id'] = message.messageId;
  if (message.attempt !== undefined) attributes['request_queue.attempt'] = message.attempt;
  return attributes;
}
