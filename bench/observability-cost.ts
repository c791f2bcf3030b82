import { randomUUID } from 'node:crypto';
import * as otel from '@opentelemetry/api';
import * as promClient from 'prom-client';
import { RequestQueueEvent } from '../lib/core/events.js';
import { SealedBox } from '../lib/core/sealed-box.js';
import { sealRequest } from '../lib/core/sealed-request.js';
import { deriveKeys } from '../lib/core/secret-keys.js';
import { QueueMetrics } from '../lib/observability/metrics.js';
import { recordEvent } from '../lib/observability/metrics-listener.js';
import type { PromClient } from '../lib/observability/prom-client-api.js';
import { noTracer, type QueueTracer } from '../lib/observability/queue-tracer.js';
import { OtelQueueTracer } from '../lib/observability/tracing.js';
import { registerBenchSdk } from './observed-sdk.js';

/**
 * What metrics and tracing add to one 202, measured part by part in a process of its own
 * (run by interceptor.bench.ts, which prints it next to the HTTP comparison): the work the
 * gate does with both on (the `send` span started and ended through a recording SDK, the
 * trace carrier sealed with the request, the `queued` counter) minus the same steps with
 * both off, in alternating blocks, median over the blocks. Prints µs per 202 as JSON.
 */
const BLOCKS = 15;
const PER_BLOCK = 20_000;

registerBenchSdk();
const box = new SealedBox(deriveKeys('bench-secret'));
const metrics = QueueMetrics.register(promClient as unknown as PromClient, {
  registry: new promClient.Registry(),
  prefix: 'bench_',
  endpoint: false,
});
const on = new OtelQueueTracer(otel);
const headers = { 'content-type': 'application/json', accept: '*/*', host: '127.0.0.1' };
const body = Buffer.from(JSON.stringify({ name: 'Ada', email: 'ada@example.com' }));
const ids = Array.from({ length: 1024 }, () => randomUUID());

/** The steps of one 202 that differ between on and off. */
function admitSteps(tracer: QueueTracer, counting: boolean, i: number): number {
  const correlationId = ids[i & 1023]!;
  const span = tracer.start('send', { queue: 'api:request', correlationId, method: 'PUT' }, headers);
  const sealed = sealRequest(
    box,
    { headers, body, callbackToken: 'bench-callback-token', ...(span.carrier && { trace: span.carrier }) },
    correlationId,
  );
  span.end({ messageId: String(i) });
  if (counting) {
    recordEvent(metrics, RequestQueueEvent.Queued, {
      jobId: String(i),
      queue: 'api:request',
      correlationId,
      method: 'PUT',
      path: '/queued/1',
      kind: 'replay',
    });
  }
  return sealed.length;
}

/**
 * One block of 202s, 32 to an event-loop turn as under load: the SDK's batching processor
 * then exports between turns as it does in an app, so that keeping and exporting the spans
 * (and collecting them afterwards) is counted, not only making them.
 */
async function block(tracer: QueueTracer, counting: boolean): Promise<number> {
  const t0 = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < PER_BLOCK; i++) {
    bytes += admitSteps(tracer, counting, i);
    if ((i & 31) === 31) await new Promise((resolve) => setImmediate(resolve));
  }
  const spent = process.cpuUsage(t0);
  if (bytes === 0) throw new Error('nothing sealed');
  return (spent.user + spent.system) / PER_BLOCK;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
};

// Warm both variants up, then alternate blocks so drift hits both alike.
await block(noTracer, false);
await block(on, true);
const offUs: number[] = [];
const onUs: number[] = [];
for (let b = 0; b < BLOCKS; b++) {
  offUs.push(await block(noTracer, false));
  onUs.push(await block(on, true));
}
const deltas = offUs.map((off, b) => onUs[b]! - off);
console.log(JSON.stringify({ offUs: median(offUs), onUs: median(onUs), addedUs: median(deltas) }));
