import { CallbackSender } from './core/callback-sender.js';
import type { EventSink, RequestQueueEventName, RequestQueueEventPayload } from './core/events.js';
import { ReplayClient } from './core/replay-client.js';
import { RequestGate, type GateSettings } from './core/request-gate.js';
import { RequestProcessor, type ProcessorOptions } from './core/request-processor.js';
import { SealedBox } from './core/sealed-box.js';
import { deriveKeys } from './core/secret-keys.js';
import { StatusLinks } from './core/status-links.js';
import { RequestStatusReader } from './core/status-reader.js';
import { StoreOutageTracker } from './core/store-outage.js';
import { RequestQueueConfigError, type ResolvedOptions } from './request-queue.options.js';
import type { RequestQueueStore } from './store/request-queue.store.js';
import type { Observability } from './observability/load-observability.js';
import type { QueueMetrics } from './observability/metrics.js';
import { recordEvent } from './observability/metrics-listener.js';
import { noTracer, type QueueTracer } from './observability/queue-tracer.js';
import {
  RequestQueueWorkerEvent,
  type RequestQueueWorkerEventName,
  type RequestQueueWorkerEventPayload,
} from './worker/worker-events.js';
import { Worker, type WorkerHooks, type WorkerOptions } from './worker/worker.js';

/** Receives every lifecycle event: the job events (`RequestQueueEvent`) and the worker's (`RequestQueueWorkerEvent`). */
export type RequestQueueEventListener = (
  name: RequestQueueEventName | RequestQueueWorkerEventName,
  payload: RequestQueueEventPayload | RequestQueueWorkerEventPayload,
) => void;

/**
 * Assembles the plain-TypeScript pieces from resolved options and a store: the gate the
 * interceptor asks, and the worker. The Nest module and the CLI both build on this.
 */
export class RequestQueueRuntime {
  readonly box: SealedBox;
  readonly gate: RequestGate;
  /**
   * Reads status resources (README "Where is my request?"). The module serves them at `statusPath`; with
   * `serveStatus: false` an app serves them from a controller of its own through this.
   */
  readonly status: RequestStatusReader;
  private readonly markerKey: Buffer;
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly listeners: RequestQueueEventListener[] = [];
  private readonly outageListeners: ((cause: string) => void)[] = [];
  /** Fans an event out to the listeners; with none (the usual API process) it costs a length check. */
  private readonly emit: EventSink = (name, payload) => this.dispatch(name, payload);

  /** The Prometheus metrics, when `metrics` is set (the module serves `metrics.endpoint` from it). */
  readonly metrics?: QueueMetrics;
  private readonly tracer: QueueTracer;

  /**
   * `observability`: what `loadObservability(options)` loaded (the module and the CLI pass
   * it); without it, no metrics and no tracing.
   */
  constructor(
    readonly options: ResolvedOptions,
    readonly store: RequestQueueStore,
    emit?: EventSink,
    observability?: Observability,
  ) {
    if (emit) this.listeners.push(emit as RequestQueueEventListener);
    this.tracer = observability?.tracer ?? noTracer;
    this.metrics = observability?.metrics;
    if (this.metrics) this.attachMetrics(this.metrics);
    const keys = deriveKeys(options.secret, options.previousSecrets);
    this.markerKey = keys.marker;
    this.box = new SealedBox(keys);
    const links = new StatusLinks(keys.status, options.statusPath);
    this.status = new RequestStatusReader(store, links, this.box);
    this.gate = new RequestGate(
      gateSettings(options),
      store,
      this.box,
      keys.marker,
      links,
      this.emit,
      new StoreOutageTracker((cause) => {
        for (const listener of this.outageListeners) listener(cause);
      }),
      this.tracer,
    );
  }

  /** Feeds `metrics` from this runtime's events and store, until `close()`. */
  private attachMetrics(metrics: QueueMetrics): void {
    const removeListener = this.addEventListener((name, payload) =>
      recordEvent(metrics, name, payload as RequestQueueEventPayload),
    );
    const o = this.options;
    const removeSource = metrics.addDepthSource({
      stats: () => this.store.stats(),
      queues: [...new Set([o.queue, ...o.worker.queues])],
    });
    this.closers.push(() => {
      removeListener();
      removeSource();
      return Promise.resolve();
    });
  }

  /**
   * Adds a listener told when requests start getting 503 because the store failed: once per
   * distinct cause (the store error's message), and again after the store has worked in
   * between (a new outage). The Nest module logs it. Returns a remover.
   */
  onStoreUnavailable(listener: (cause: string) => void): () => void {
    this.outageListeners.push(listener);
    return () => {
      const at = this.outageListeners.indexOf(listener);
      if (at >= 0) this.outageListeners.splice(at, 1);
    };
  }

  /**
   * Adds a listener for every lifecycle event (the Nest module bridges them to
   * `@nestjs/event-emitter`). A listener that throws is ignored. Returns a remover.
   */
  addEventListener(listener: RequestQueueEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /**
   * Where processors built outside `createWorker` (the testing module's `runQueued()`) emit
   * lifecycle events, so the runtime's listeners hear them as from its own worker.
   */
  get events(): EventSink {
    return this.emit;
  }

  private dispatch(
    name: RequestQueueEventName | RequestQueueWorkerEventName,
    payload: RequestQueueEventPayload | RequestQueueWorkerEventPayload,
  ): void {
    if (this.listeners.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(name, payload);
      } catch {
        // an event listener must never break the queue (a 202 or a job in hand)
      }
    }
  }

  /**
   * A worker over the configured queues. `overrides` (e.g. `request-queue work` flags) win
   * over the module's `worker` options; `hooks` hear about each job (the CLI prints them).
   */
  createWorker(overrides: Partial<WorkerOptions> = {}, hooks: WorkerHooks = {}): Worker {
    if (!this.options.baseUrl) {
      throw new RequestQueueConfigError('baseUrl is required to run a worker (where should requests be replayed?)');
    }
    const replay = new ReplayClient(this.options.baseUrl, this.markerKey, this.options.correlationHeader);
    const sender = new CallbackSender({ policy: this.options.callback });
    this.closers.push(
      () => replay.close(),
      () => sender.close(),
    );
    const processor = new RequestProcessor(
      this.box,
      replay,
      sender,
      processorSettings(this.options),
      this.emit,
      this.tracer,
    );
    const { queues, concurrency, gracePeriod } = this.options.worker;
    const options: WorkerOptions = { queues, concurrency, gracePeriod, ...overrides };
    return new Worker(this.store, processor, options, {
      ...hooks,
      onLooping: () => {
        this.dispatch(RequestQueueWorkerEvent.Looping, { queues: options.queues });
        hooks.onLooping?.();
      },
      onStopping: (reason) => {
        this.dispatch(RequestQueueWorkerEvent.Stopping, { queues: options.queues, reason });
        hooks.onStopping?.(reason);
      },
    });
  }

  /** Closes the HTTP clients and the store. */
  async close(): Promise<void> {
    await Promise.all(this.closers.splice(0).map((close) => close()));
    await this.store.close();
  }
}

/** The gate's settings from resolved options (the runtime's, and the unit specs'). */
export function gateSettings(o: ResolvedOptions): GateSettings {
  return {
    methods: o.methods,
    queue: o.queue,
    tries: o.tries,
    backoff: o.backoff,
    timeout: o.timeout,
    correlationTtl: o.correlationTtl,
    correlationHeader: o.correlationHeader,
    claimSynchronousRequests: o.claimSynchronousRequests,
    idempotencyKey: o.idempotencyKey,
    callbackPolicy: o.callback,
    limits: o.limits,
    queueFlow: o.flow, // flow control per queue (lib/flow)
  };
}

/** The processor's settings from resolved options. */
export function processorSettings(o: ResolvedOptions): ProcessorOptions {
  return {
    callbackRetryDelays: o.callback.retryDelays,
    callbackTimeout: o.callback.timeout,
    statusTtl: o.statusTtl,
  };
}
