import type { QueueStats } from '../core/request-status.js';
import { withTimeout } from '../core/async.js';
import type {
  MetricLabels,
  MetricsRegistry,
  PromClient,
  PromCounter,
  PromGauge,
  PromHistogram,
} from './prom-client-api.js';

/** `metrics` options with their defaults applied. */
export interface ResolvedMetricsOptions {
  /** Undefined: prom-client's global `register`. */
  registry?: MetricsRegistry;
  prefix: string;
  endpoint: string | false;
}

/** Where the depth gauge reads job counts from: a store, and the queues it always reports (0 when empty). */
export interface DepthSource {
  stats(): Promise<QueueStats[]>;
  queues: readonly string[];
}

const STATES = ['waiting', 'delayed', 'running', 'failed'] as const;

/** How long one store's counts serve scrapes before the store is asked again. */
export const DEPTH_CACHE_MS = 5_000;
/** A scrape does not wait longer than this for a store's counts (a store away is left out). */
const DEPTH_READ_TIMEOUT_MS = 2_000;

/** Seconds: 5 ms to 2 min, for a replay or a callback delivery. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds: 10 ms to 6 h, from a 202 to its replay's start. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600];

/** The metric sets made per registry and prefix: a second app in the process reuses them. */
const made = new WeakMap<object, Map<string, QueueMetrics>>();

/**
 * The queue's Prometheus metrics in one registry (README "Metrics and tracing"). Labels are only `queue`,
 * `outcome` and `state`, never an id or a path. Counters and histograms are fed from the
 * lifecycle events (`metrics-listener.ts`); the depth gauge reads the store's counts when
 * scraped (cached `DEPTH_CACHE_MS`), so it is right whichever process runs the workers.
 */
export class QueueMetrics {
  readonly queued: PromCounter;
  readonly completed: PromCounter;
  readonly failed: PromCounter;
  readonly callbacks: PromCounter;
  readonly replayDuration: PromHistogram;
  readonly callbackDuration: PromHistogram;
  readonly queueWait: PromHistogram;
  readonly jobs: PromGauge;
  private readonly sources = new Set<CachedDepth>();
  /** Queue/state pairs reported once: they stay reported (as 0) when the store has no such jobs any more. */
  private readonly seen = new Set<string>();

  /**
   * The metrics of `options.registry` (or the global one) under `options.prefix`, made once:
   * registering again (two apps in one process, tests) returns the same set.
   */
  static register(client: PromClient, options: ResolvedMetricsOptions): QueueMetrics {
    const registry = options.registry ?? client.register;
    let byPrefix = made.get(registry);
    if (!byPrefix) made.set(registry, (byPrefix = new Map<string, QueueMetrics>()));
    let metrics = byPrefix.get(options.prefix);
    if (!metrics) byPrefix.set(options.prefix, (metrics = new QueueMetrics(client, registry, options)));
    return metrics;
  }

  private constructor(
    client: PromClient,
    readonly registry: MetricsRegistry,
    readonly options: ResolvedMetricsOptions,
  ) {
    const p = options.prefix;
    const registers = [registry];
    /** An existing metric of that name (made by another copy of the library) is reused, never registered twice. */
    const metric = <T>(name: string, make: (name: string) => T): T =>
      (registry.getSingleMetric(`${p}${name}`) as T | undefined) ?? make(`${p}${name}`);
    this.queued = metric(
      'queued_total',
      (name) => new client.Counter({ name, help: 'Requests queued (answered 202)', labelNames: ['queue'], registers }),
    );
    this.completed = metric(
      'completed_total',
      (name) =>
        new client.Counter({
          name,
          help: 'Replays that completed (the handler answered, any status that is not retried)',
          labelNames: ['queue'],
          registers,
        }),
    );
    this.failed = metric(
      'failed_total',
      (name) =>
        new client.Counter({
          name,
          help: 'Replays that failed for good (moved to the failed jobs)',
          labelNames: ['queue'],
          registers,
        }),
    );
    this.callbacks = metric(
      'callbacks_total',
      (name) =>
        new client.Counter({
          name,
          help: 'Callback deliveries that ended: outcome "delivered", or "failed" for good',
          labelNames: ['queue', 'outcome'],
          registers,
        }),
    );
    this.replayDuration = metric(
      'replay_duration_seconds',
      (name) =>
        new client.Histogram({
          name,
          help: 'Duration of one replay attempt; outcome "completed", "retry" (failed, tried again) or "failed"',
          labelNames: ['queue', 'outcome'],
          buckets: DURATION_BUCKETS,
          registers,
        }),
    );
    this.callbackDuration = metric(
      'callback_duration_seconds',
      (name) =>
        new client.Histogram({
          name,
          help: 'Duration of one callback delivery attempt; outcome "delivered", "retry" or "failed"',
          labelNames: ['queue', 'outcome'],
          buckets: DURATION_BUCKETS,
          registers,
        }),
    );
    this.queueWait = metric(
      'queue_wait_seconds',
      (name) =>
        new client.Histogram({
          name,
          help: 'Time from the 202 to the start of the first replay',
          labelNames: ['queue'],
          buckets: WAIT_BUCKETS,
          registers,
        }),
    );
    this.jobs = metric(
      'jobs',
      (name) =>
        new client.Gauge({
          name,
          help: 'Jobs in the store per queue and state (waiting, delayed, running, failed), read from the store',
          labelNames: ['queue', 'state'],
          registers,
          collect: () => this.collectDepth(),
        }),
    );
  }

  /** Adds a store the depth gauge reads; returns the remover (called when the runtime closes). */
  addDepthSource(source: DepthSource): () => void {
    const cached = new CachedDepth(source);
    this.sources.add(cached);
    return () => this.sources.delete(cached);
  }

  /**
   * Sets the gauge from every store (two apps of one process may share one): per queue and
   * state the largest count, which is right for one store read twice and for stores that
   * hold different queues.
   */
  private async collectDepth(): Promise<void> {
    const counts = new Map<string, number>();
    for (const key of this.seen) counts.set(key, 0);
    const reads = await Promise.all([...this.sources].map((s) => s.read()));
    for (const { stats, queues } of reads) {
      for (const queue of queues)
        for (const state of STATES) counts.set(key(queue, state), counts.get(key(queue, state)) ?? 0);
      for (const row of stats ?? []) {
        for (const state of STATES) {
          const k = key(row.queue, state);
          counts.set(k, Math.max(counts.get(k) ?? 0, row[state]));
        }
      }
    }
    this.jobs.reset();
    for (const [k, value] of counts) {
      this.seen.add(k);
      this.jobs.set(labelsOf(k), value);
    }
  }
}

const key = (queue: string, state: string) => JSON.stringify([queue, state]);

function labelsOf(k: string): MetricLabels {
  const [queue, state] = JSON.parse(k) as [string, string];
  return { queue, state };
}

/** One store's counts, read at most once per `DEPTH_CACHE_MS`; undefined while the store cannot be read. */
class CachedDepth {
  private last?: { at: number; stats: Promise<QueueStats[] | undefined> };

  constructor(private readonly source: DepthSource) {}

  async read(): Promise<{ stats: QueueStats[] | undefined; queues: readonly string[] }> {
    const now = Date.now();
    if (!this.last || now - this.last.at >= DEPTH_CACHE_MS) {
      this.last = { at: now, stats: readWithin(this.source.stats(), DEPTH_READ_TIMEOUT_MS) };
    }
    const stats = await this.last.stats;
    if (stats === undefined) this.last = undefined; // a failed read is not cached
    return { stats, queues: this.source.queues };
  }
}

/** The stats, or undefined when the read fails or takes longer than `ms`. */
function readWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return withTimeout(
    promise.catch(() => undefined),
    ms,
    () => undefined,
    { unref: true },
  );
}
