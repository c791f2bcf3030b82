import type { RequestProcessor } from '../core/request-processor.js';
import type { JobConsumer, RequestQueueStore } from '../store/request-queue.store.js';

export interface WorkerOptions {
  queues: readonly string[];
  concurrency: number;
  /** How long `stop()` waits for jobs in hand, ms. */
  gracePeriod: number;
}

/** Takes jobs from the store and runs them through the processor until stopped. */
export class Worker {
  private consumer?: JobConsumer;

  constructor(
    private readonly store: RequestQueueStore,
    private readonly processor: RequestProcessor,
    readonly options: WorkerOptions,
  ) {}

  async start(): Promise<void> {
    if (this.consumer) return;
    this.consumer = await this.store.consume(
      { queues: this.options.queues, concurrency: this.options.concurrency },
      (job) => this.processor.process(job),
    );
  }

  /** Stops taking jobs and waits for those in hand, up to the grace period. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.stop(this.options.gracePeriod);
  }
}
