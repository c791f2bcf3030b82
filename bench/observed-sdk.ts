import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * An OpenTelemetry SDK as an app registers it (batching span processor, AsyncLocalStorage
 * context, W3C propagation), exporting nowhere: the benchmark measures what recording the
 * spans costs the 202 path, not a collector's network.
 */
const discard: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

export function registerBenchSdk(): void {
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // An app with an SDK has instrumentation running requests in a context, which turns on
  // AsyncLocalStorage (promise hooks) for the whole process: do it here as well, so that both
  // SDK variants pay for it alike and the comparison shows what the library adds.
  context.with(context.active(), () => {});
}
