/**
 * The part of `@opentelemetry/api` the library calls, as structural types: the package is
 * an optional peer, so no public type of ours may require it to be installed.
 */

/** An OpenTelemetry `Context` (opaque here). */
export type OtelContext = object;

export type OtelAttributes = Record<string, string | number | boolean>;

export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  /** False for a span the SDK does not record (sampled out, or no SDK). */
  isRecording?(): boolean;
  end(): void;
}

export interface OtelTracer {
  startSpan(name: string, options?: { kind?: number; attributes?: OtelAttributes }, context?: OtelContext): OtelSpan;
}

export interface OtelApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
    getSpan(context: OtelContext): OtelSpan | undefined;
  };
  context: {
    active(): OtelContext;
    with<T>(context: OtelContext, fn: () => T): T;
  };
  propagation: {
    inject(context: OtelContext, carrier: Record<string, string>): void;
    extract(context: OtelContext, carrier: Record<string, string | string[] | undefined>): OtelContext;
  };
  ROOT_CONTEXT: OtelContext;
  SpanKind: { CLIENT: number; PRODUCER: number; CONSUMER: number };
  SpanStatusCode: { ERROR: number };
}

/**
 * `@opentelemetry/api` when the app has it installed, else undefined. Imported once, at
 * startup; without an SDK registered by the app its calls are no-ops.
 */
export async function loadOtelApi(): Promise<OtelApi | undefined> {
  try {
    const api: OtelApi = await import('@opentelemetry/api');
    return api;
  } catch {
    return undefined;
  }
}
