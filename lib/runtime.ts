import { CallbackSender } from './core/callback-sender.js';
import type { EventSink } from './core/events.js';
import { ReplayClient } from './core/replay-client.js';
import { RequestGate } from './core/request-gate.js';
import { RequestProcessor } from './core/request-processor.js';
import { SealedBox } from './core/sealed-box.js';
import { deriveKeys } from './core/secret-keys.js';
import { RequestQueueConfigError, type ResolvedOptions } from './request-queue.options.js';
import type { RequestQueueStore } from './store/request-queue.store.js';
import { Worker } from './worker/worker.js';

/**
 * Assembles the plain-TypeScript pieces from resolved options and a store: the gate the
 * interceptor asks, and the worker. The Nest module and the CLI both build on this.
 */
export class RequestQueueRuntime {
  readonly box: SealedBox;
  readonly gate: RequestGate;
  private readonly markerKey: Buffer;
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(
    readonly options: ResolvedOptions,
    readonly store: RequestQueueStore,
    private readonly emit: EventSink = () => {},
  ) {
    const keys = deriveKeys(options.secret, options.previousSecrets);
    this.markerKey = keys.marker;
    this.box = new SealedBox(keys);
    this.gate = new RequestGate(
      {
        methods: options.methods,
        queue: options.queue,
        tries: options.tries,
        backoff: options.backoff,
        timeout: options.timeout,
        correlationTtl: options.correlationTtl,
        callbackPolicy: options.callback,
        limits: options.limits,
      },
      store,
      this.box,
      keys.marker,
      emit,
    );
  }

  /** A worker over the configured queues (overrides, e.g. from CLI flags, win). */
  createWorker(overrides: Partial<ResolvedOptions['worker']> = {}): Worker {
    if (!this.options.baseUrl) {
      throw new RequestQueueConfigError('baseUrl is required to run a worker (where should requests be replayed?)');
    }
    const replay = new ReplayClient(this.options.baseUrl, this.markerKey);
    const sender = new CallbackSender({ policy: this.options.callback });
    this.closers.push(() => replay.close(), () => sender.close());
    const processor = new RequestProcessor(
      this.box,
      replay,
      sender,
      { callbackRetryDelays: this.options.callback.retryDelays, callbackTimeout: this.options.callback.timeout },
      this.emit,
    );
    return new Worker(this.store, processor, { ...this.options.worker, ...overrides });
  }

  /** Closes the HTTP clients and the store. */
  async close(): Promise<void> {
    await Promise.all(this.closers.splice(0).map((close) => close()));
    await this.store.close();
  }
}
