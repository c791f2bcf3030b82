import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RequestQueueRuntime } from '../runtime.js';
import type { Worker } from '../worker/worker.js';

/** Starts the worker when `worker.enabled`, and on shutdown drains it and closes connections. */
@Injectable()
export class RequestQueueLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RequestQueue');
  private worker?: Worker;

  constructor(private readonly runtime: RequestQueueRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    const { worker } = this.runtime.options;
    if (!worker.enabled) return;
    this.worker = this.runtime.createWorker();
    await this.worker.start();
    this.logger.log(`worker on ${worker.queues.join(', ')} (concurrency ${worker.concurrency})`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
    await this.runtime.close();
  }
}
