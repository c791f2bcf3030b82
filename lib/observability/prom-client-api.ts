/**
 * The part of `prom-client` the library calls, as structural types: the package is an
 * optional peer, so no public type of ours may require it to be installed. A prom-client
 * `Registry` is a `MetricsRegistry`.
 */

/** A prom-client `Registry` (the app's own, or prom-client's global `register`). */
export interface MetricsRegistry {
  /** The `Content-Type` of `metrics()`. */
  readonly contentType: string;
  /** Every metric in the Prometheus text format. */
  metrics(): Promise<string>;
  getSingleMetric(name: string): unknown;
}

export type MetricLabels = Partial<Record<string, string>>;

interface MetricConfig {
  name: string;
  help: string;
  labelNames: string[];
  registers: MetricsRegistry[];
}

export interface PromCounter {
  inc(labels: MetricLabels, value?: number): void;
}

export interface PromHistogram {
  observe(labels: MetricLabels, value: number): void;
}

export interface PromGauge {
  set(labels: MetricLabels, value: number): void;
  reset(): void;
}

export interface PromClient {
  register: MetricsRegistry;
  Counter: new (config: MetricConfig) => PromCounter;
  Histogram: new (config: MetricConfig & { buckets?: number[] }) => PromHistogram;
  Gauge: new (config: MetricConfig & { collect?: () => Promise<void> | void }) => PromGauge;
}
