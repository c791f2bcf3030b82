import { randomBytes, randomUUID } from 'node:crypto';
import { Controller, Headers, Param, Put } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { QueueableRequest, RequestQueueModule, type RequestQueueModuleOptions } from '../../lib/index.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { freePort } from '../support/free-port.js';
import { listenOn, type AdapterName } from '../support/nest-app.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';

/**
 * Traces (README "Metrics and tracing") with the OpenTelemetry SDK registered as an app would (a tracer provider
 * with an in-memory exporter, the AsyncLocalStorage context manager, the W3C propagator):
 * one trace from the client's call through the 202, the replay (and the handler's own span,
 * which it starts from the replayed `traceparent`) to the callback.
 */

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const TOKEN = 'tracing-callback-token-0123456789';
const AT_REST_QUEUE = 'tracing-at-rest';

/** The traced app's handler: its own span, a child of the context the replay carried in. */
@QueueableRequest()
@Controller('traced')
class TracedController {
  @Put(':id')
  put(@Param('id') id: string, @Headers() headers: Record<string, string>) {
    const parent = propagation.extract(ROOT_CONTEXT, headers);
    trace
      .getTracer('test-handler')
      .startSpan('handler work', { attributes: { 'test.id': id } }, parent)
      .end();
    return { id };
  }
}

async function createApp(adapter: AdapterName, options: RequestQueueModuleOptions) {
  const port = await freePort();
  const moduleRef = await Test.createTestingModule({
    imports: [
      RequestQueueModule.forRoot({
        baseUrl: `http://127.0.0.1:${port}`,
        secret: 'tracing-secret',
        ...options,
        worker: { enabled: true, concurrency: 2, gracePeriod: 2000, ...options.worker },
      }),
    ],
    controllers: [TracedController],
  }).compile();
  const app = await listenOn(moduleRef, adapter, port);
  return { app, url: `http://127.0.0.1:${port}` };
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
}

const stores = await storeMatrix();
const cases = [
  ...stores.map(({ kind, skip }) => ({ kind, skip, adapter: 'express' as const })),
  ...stores
    .filter(({ kind }) => kind.name === 'redis')
    .map(({ kind, skip }) => ({ kind, skip, adapter: 'fastify' as const })),
];

describe.each(cases)('traces through the queue on $kind.name ($adapter)', ({ kind, skip, adapter }) => {
  let harness: StoreHarness;
  let receiver: CallbackReceiver;
  let app: Awaited<ReturnType<typeof createApp>>;
  let api: Awaited<ReturnType<typeof createApp>>;

  beforeAll(async () => {
    if (skip) return;
    harness = await kind.create();
    receiver = await new CallbackReceiver(TOKEN).start();
    const options: RequestQueueModuleOptions = {
      ...harness.options,
      ...(harness.options.database ? { database: { ...harness.options.database, sleep: 50 } } : {}),
      callback: { allowedHosts: [`127.0.0.1:${receiver.port}`], retryDelays: [100] },
    };
    app = await createApp(adapter, options);
    // API only, on a queue no worker takes: its job stays in the store for the at-rest scan.
    api = await createApp(adapter, { ...options, queue: AT_REST_QUEUE, worker: { enabled: false } });
  }, 60_000);

  afterAll(async () => {
    await api?.app.close();
    await app?.app.close();
    await receiver?.close();
    await harness?.cleanup();
  });

  const run = skip ? test.skip : test;

  function put(target: { url: string }, correlationId: string, headers: Record<string, string> = {}) {
    return fetch(`${target.url}/traced/7`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId, ...headers },
      body: JSON.stringify({ name: 'Ada', _callback_url: receiver.url, _callback_token: TOKEN }),
    });
  }

  /** The four spans of one request once all have ended: enqueue, replay, handler, callback. */
  async function hops(traceId: string) {
    return waitFor(
      `the spans of trace ${traceId}`,
      () => {
        const spans = spansOf(traceId);
        const send = spans.find((s) => s.name === 'send api:request');
        const process = spans.find((s) => s.name === 'process api:request');
        const handler = spans.find((s) => s.name === 'handler work');
        const deliver = spans.find((s) => s.name === 'deliver api:request');
        return send && process && handler && deliver ? { send, process, handler, deliver } : undefined;
      },
      { timeoutMs: 20_000 },
    );
  }

  run(
    "continues the client's trace from the 202 through the replay and the handler to the callback",
    async () => {
      const correlationId = randomUUID();
      const traceId = hex(16);
      const clientSpanId = hex(8);
      const res = await put(app, correlationId, {
        traceparent: `00-${traceId}-${clientSpanId}-01`,
        tracestate: 'client=1',
      });
      expect(res.status).toBe(202);
      await receiver.waitFor(1, 20_000);
      const { send, process, handler, deliver } = await hops(traceId);

      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(send.parentSpanContext?.spanId).toBe(clientSpanId);
      expect(send.attributes).toMatchObject({
        'messaging.system': 'nestjs-request-queue',
        'messaging.destination.name': 'api:request',
        'messaging.operation.type': 'send',
        'messaging.message.conversation_id': correlationId,
      });
      expect(send.attributes['messaging.message.id']).toEqual(expect.any(String));

      expect(process.kind).toBe(SpanKind.CONSUMER);
      expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
      expect(process.attributes).toMatchObject({
        'messaging.system': 'nestjs-request-queue',
        'messaging.destination.name': 'api:request',
        'messaging.operation.type': 'process',
        'messaging.message.id': send.attributes['messaging.message.id'],
        'messaging.message.conversation_id': correlationId,
        'http.response.status_code': 200,
      });

      // The handler started its span from the replayed traceparent: a child of the replay's span.
      expect(handler.parentSpanContext?.spanId).toBe(process.spanContext().spanId);

      expect(deliver.kind).toBe(SpanKind.CLIENT);
      expect(deliver.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
      expect(deliver.attributes).toMatchObject({
        'messaging.destination.name': 'api:request',
        'messaging.operation.type': 'send',
        'messaging.message.conversation_id': correlationId,
        'http.response.status_code': 200,
      });

      const callback = receiver.for(correlationId)[0]!;
      expect(callback.verified).toBe(true);
      expect(callback.headers.traceparent).toBe(`00-${traceId}-${deliver.spanContext().spanId}-01`);
      expect(callback.headers.tracestate).toBe('client=1');
    },
    40_000,
  );

  run(
    'starts a trace at the 202 when the request has none, and follows it to the callback',
    async () => {
      const correlationId = randomUUID();
      const res = await put(app, correlationId);
      expect(res.status).toBe(202);
      const send = await waitFor(
        'the send span',
        () =>
          exporter
            .getFinishedSpans()
            .find(
              (s) => s.attributes['messaging.message.conversation_id'] === correlationId && s.name.startsWith('send'),
            ),
        { timeoutMs: 20_000 },
      );
      expect(send.parentSpanContext).toBeUndefined();
      const { process, handler, deliver } = await hops(send.spanContext().traceId);
      expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
      expect(handler.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
      expect(deliver.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
    },
    40_000,
  );

  run('keeps the trace context sealed at rest: no trace id in clear in the store', async () => {
    const correlationId = randomUUID();
    const traceId = hex(16);
    const res = await put(api, correlationId, { traceparent: `00-${traceId}-${hex(8)}-01` });
    expect(res.status).toBe(202);
    const dump = await harness.dump();
    expect(dump).toContain(correlationId); // the scan sees the job...
    expect(dump).not.toContain(traceId); // ...and not its trace
    expect(dump).not.toContain(Buffer.from(traceId, 'hex').toString('base64'));
    // The enqueue span exists and names the queue of that route.
    const send = spansOf(traceId).find((s) => s.kind === SpanKind.PRODUCER);
    expect(send?.attributes['messaging.destination.name']).toBe(AT_REST_QUEUE);
  });
});
