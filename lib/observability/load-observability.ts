import type { ResolvedOptions } from '../request-queue.options.js';
import { RequestQueueConfigError } from '../core/errors.js';
import { QueueMetrics } from './metrics.js';
import { loadOtelApi } from './otel-api.js';
import type { PromClient } from './prom-client-api.js';
import { noTracer, passThroughTracer, type QueueTracer } from './queue-tracer.js';
import { OtelQueueTracer } from './tracing.js';

/** What the runtime reports through: a tracer always (a pass-through one without OpenTelemetry), metrics when enabled. */
export interface Observability {
  tracer: QueueTracer;
  metrics?: QueueMetrics;
}

/**
 * Loads the optional peers the options ask for, once, at startup: `prom-client` when
 * `metrics` is set (its absence is a `RequestQueueConfigError` naming the install
 * command), `@opentelemetry/api` unless `tracing: false` (its absence only means no spans).
 */
export async function loadObservability(options: ResolvedOptions): Promise<Observability> {
  let tracer: QueueTracer = noTracer;
  if (options.tracing) {
    const api = await loadOtelApi();
    tracer = api ? new OtelQueueTracer(api) : passThroughTracer;
  }
  if (!options.metrics) return { tracer };
  const client = await loadPromClient();
  return { tracer, metrics: QueueMetrics.register(client, options.metrics) };
}

async function loadPromClient(): Promise<PromClient> {
  try {
    // The structural type takes any `MetricsRegistry` where prom-client names its own class.
    return (await import('prom-client')) as unknown as PromClient;
  } catch (err) {
    const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
    const missing =
      (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
      typeof message === 'string' &&
      /^Cannot find (?:module|package) 'prom-client'/.test(message);
    if (missing) throw new RequestQueueConfigError("metrics need the package 'prom-client': npm install prom-client");
    throw err;
  }
}
