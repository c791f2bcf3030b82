import { randomUUID } from 'node:crypto';
import { Registry, register as globalRegister } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import {
  loadObservability,
  requestQueueOptionsFromEnv,
  resolveOptions,
  type MetricsRegistry,
  type RequestQueueModuleOptions,
} from '../../lib/index.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { createTestApp, type AdapterName, type TestApp } from '../support/test-app.js';

/**
 * The metrics (README "Metrics and tracing") against a real store: known work through a real app (a worker in the
 * same process, a real callback receiver), then the counters, histograms and the depth
 * gauge read back from the registry and from the `/metrics` endpoint.
 */

const TOKEN = 'metrics-callback-token-0123456789';
const BACKLOG_QUEUE = 'metrics-backlog';

// A prom-client Registry is what the `registry` option takes (checked by tsc).
const typed: MetricsRegistry = new Registry();
void typed;

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** The samples of one metric, by full name (`request_queue_queued_total`, `..._seconds_count`). */
async function samples(registry: Registry, metric: string, sample = metric): Promise<Sample[]> {
  const m = registry.getSingleMetric(metric);
  if (!m) return [];
  const { values } = (await m.get()) as { values: Sample[] };
  return values.filter((v) => (v.metricName ?? metric) === sample);
}

async function value(
  registry: Registry,
  metric: string,
  labels: Record<string, string>,
  sample = metric,
): Promise<number> {
  const found = (await samples(registry, metric, sample)).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found.reduce((sum, s) => sum + s.value, 0);
}

const stores = await storeMatrix();
const cases: { kind: (typeof stores)[number]['kind']; skip: string | null; adapter: AdapterName }[] = [
  ...stores.map(({ kind, skip }) => ({ kind, skip, adapter: 'express' as const })),
  ...stores
    .filter(({ kind }) => kind.name === 'redis')
    .map(({ kind, skip }) => ({ kind, skip, adapter: 'fastify' as const })),
];

describe.each(cases)('metrics on $kind.name ($adapter)', ({ kind, skip, adapter }) => {
  let harness: StoreHarness;
  let receiver: CallbackReceiver;
  let app: TestApp;
  let backlog: TestApp;
  const registry = new Registry();
  const correlationIds: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    harness = await kind.create();
    receiver = await new CallbackReceiver(TOKEN).start();
    const options: RequestQueueModuleOptions = {
      ...harness.options,
      ...(harness.options.database ? { database: { ...harness.options.database, sleep: 50 } } : {}),
      callback: { allowedHosts: [`127.0.0.1:${receiver.port}`], retryDelays: [100, 100] },
      metrics: { registry, endpoint: '/metrics' },
    };
    app = await createTestApp(adapter, options);
    // A second app on the same store and the same registry (registering twice must work),
    // API only: what it queues waits, and only the store knows about it.
    backlog = await createTestApp(adapter, {
      ...options,
      queue: BACKLOG_QUEUE,
      worker: { enabled: false },
    });
  }, 60_000);

  afterAll(async () => {
    await backlog?.close();
    await app?.close();
    await receiver?.close();
    await harness?.cleanup();
  });

  const run = skip ? test.skip : test;

  async function put(target: TestApp, path: string): Promise<string> {
    const correlationId = randomUUID();
    correlationIds.push(correlationId);
    const res = await fetch(target.url + path, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
      body: JSON.stringify({ name: 'Ada', _callback_url: receiver.url, _callback_token: TOKEN }),
    });
    expect(res.status).toBe(202);
    return correlationId;
  }

  run(
    'counts queued, completed, failed and delivered work, and times replays, deliveries and queue wait',
    async () => {
      const q = { queue: 'api:request' };
      receiver.answers = [500]; // the first delivery fails once, then is retried
      await put(app, '/echo/1');
      await put(app, '/echo/2');
      await put(app, '/status/500'); // three attempts (fixed 50 ms apart), then failed for good
      await receiver.waitFor(4, 30_000); // 3 outcomes, one of them delivered twice

      await waitFor(
        'request_queue_callbacks_total at 3',
        async () => (await value(registry, 'request_queue_callbacks_total', { ...q, outcome: 'delivered' })) === 3,
        {
          timeoutMs: 20_000,
          intervalMs: 100,
        },
      );
      expect(await value(registry, 'request_queue_callbacks_total', { ...q, outcome: 'delivered' })).toBe(3);
      expect(await value(registry, 'request_queue_queued_total', q)).toBe(3);
      expect(await value(registry, 'request_queue_completed_total', q)).toBe(2);
      expect(await value(registry, 'request_queue_failed_total', q)).toBe(1);
      expect(await value(registry, 'request_queue_callbacks_total', { ...q, outcome: 'failed' })).toBe(0);

      const count = (metric: string, outcome?: string) =>
        value(registry, metric, { ...q, ...(outcome && { outcome }) }, `${metric}_count`);
      expect(await count('request_queue_replay_duration_seconds', 'completed')).toBe(2);
      expect(await count('request_queue_replay_duration_seconds', 'retry')).toBe(2);
      expect(await count('request_queue_replay_duration_seconds', 'failed')).toBe(1);
      expect(await count('request_queue_callback_duration_seconds', 'delivered')).toBe(3);
      expect(await count('request_queue_callback_duration_seconds', 'retry')).toBe(1);
      // One observation per request (its first attempt), none for retries or deliveries.
      expect(await count('request_queue_queue_wait_seconds')).toBe(3);
      const waited = await value(
        registry,
        'request_queue_queue_wait_seconds',
        q,
        'request_queue_queue_wait_seconds_sum',
      );
      expect(waited).toBeGreaterThan(0);
      const replayed = await value(
        registry,
        'request_queue_replay_duration_seconds',
        { ...q, outcome: 'completed' },
        'request_queue_replay_duration_seconds_sum',
      );
      expect(replayed).toBeGreaterThan(0);
    },
    60_000,
  );

  run(
    'reads queue depth from the store: a backlog another client wrote, per queue and state',
    async () => {
      await put(backlog, '/echo/10');
      await put(backlog, '/echo/11');
      await put(backlog, '/echo/12');
      // The gauge is cached for a few seconds: poll until a scrape sees the store's counts.
      await waitFor(
        'request_queue_jobs at 3',
        async () => (await value(registry, 'request_queue_jobs', { queue: BACKLOG_QUEUE, state: 'waiting' })) === 3,
        {
          timeoutMs: 20_000,
          intervalMs: 100,
        },
      );
      expect(await value(registry, 'request_queue_jobs', { queue: BACKLOG_QUEUE, state: 'waiting' })).toBe(3);
      expect(await value(registry, 'request_queue_jobs', { queue: BACKLOG_QUEUE, state: 'running' })).toBe(0);
      // The failed replay of the first test is in the failed jobs of the worker's queue.
      await waitFor(
        'request_queue_jobs at 1',
        async () => (await value(registry, 'request_queue_jobs', { queue: 'api:request', state: 'failed' })) === 1,
        {
          timeoutMs: 20_000,
          intervalMs: 100,
        },
      );
      expect(await value(registry, 'request_queue_jobs', { queue: 'api:request', state: 'failed' })).toBe(1);
      // The second app counted its own 202s into the shared registry.
      expect(await value(registry, 'request_queue_queued_total', { queue: BACKLOG_QUEUE })).toBe(3);
    },
    60_000,
  );

  run('serves the registry at /metrics in the Prometheus text format, with no id or path as a label', async () => {
    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^request_queue_queued_total\{queue="api:request"\} 3$/m);
    expect(text).toMatch(/^request_queue_jobs\{queue="metrics-backlog",state="waiting"\} 3$/m);
    expect(text).toContain('# TYPE request_queue_replay_duration_seconds histogram');
    expect(text).toContain('# TYPE request_queue_jobs gauge');

    for (const id of correlationIds) expect(text).not.toContain(id);
    expect(text).not.toMatch(/\/(echo|status)\//);
    const labelNames = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((m) => m[1]));
    expect([...labelNames].sort()).toEqual(['le', 'outcome', 'queue', 'state']);

    // The app without a worker serves the same registry (it is one registry).
    expect((await fetch(`${backlog.url}/metrics`)).status).toBe(200);
  });
});

describe('metrics registration', () => {
  it("registers into prom-client's global registry by default, and twice without 'already registered'", async () => {
    const options = resolveOptions({ metrics: {}, secret: 'metrics-secret' });
    const first = await loadObservability(options);
    const second = await loadObservability(options);
    expect(first.metrics).toBeDefined();
    expect(second.metrics).toBe(first.metrics);
    expect(globalRegister.getSingleMetric('request_queue_queued_total')).toBeDefined();
    const prefixed = await loadObservability(resolveOptions({ metrics: { prefix: 'api_' }, secret: 'metrics-secret' }));
    expect(globalRegister.getSingleMetric('api_queued_total')).toBeDefined();
    expect(prefixed.metrics).not.toBe(first.metrics);
  });

  it('reads REQUEST_QUEUE_METRICS, REQUEST_QUEUE_METRICS_PATH and REQUEST_QUEUE_TRACING', () => {
    expect(requestQueueOptionsFromEnv({})).not.toHaveProperty('metrics');
    expect(requestQueueOptionsFromEnv({ REQUEST_QUEUE_METRICS: 'true' }).metrics).toEqual({});
    expect(
      requestQueueOptionsFromEnv({ REQUEST_QUEUE_METRICS: 'true', REQUEST_QUEUE_METRICS_PATH: '/metrics' }).metrics,
    ).toEqual({ endpoint: '/metrics' });
    expect(requestQueueOptionsFromEnv({ REQUEST_QUEUE_METRICS_PATH: '/metrics' })).not.toHaveProperty('metrics');
    expect(requestQueueOptionsFromEnv({ REQUEST_QUEUE_TRACING: 'false' }).tracing).toBe(false);
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_METRICS: 'yes' })).toThrow(/REQUEST_QUEUE_METRICS/);
  });

  it('is off unless asked for, and refuses a bad prefix or endpoint naming the option', async () => {
    expect((await loadObservability(resolveOptions({}))).metrics).toBeUndefined();
    expect(() => resolveOptions({ metrics: { prefix: '9lives' } })).toThrow(/metrics\.prefix/);
    expect(() => resolveOptions({ metrics: { endpoint: 'metrics' } })).toThrow(/metrics\.endpoint/);
  });
});
