import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { checkQueueableRoutes } from '../core/route-checks.js';
import { RequestQueueRuntime } from '../runtime.js';
import { defaultLease, longestAttempt } from '../core/policies.js';
import { describeRecovery, formatDuration, summarizeJob } from '../worker/job-report.js';
import type { JobReport, Worker, WorkerOptions, WorkerStopReason } from '../worker/worker.js';
import { QueueableRoutesExplorer } from './queueable-routes.explorer.js';
import { bridgeEventsToEventEmitter } from './request-queue.events.js';
import { serveDashboard } from './dashboard-route.js';
import { serveStatusRoute } from './status-route.js';
import { serveMetricsRoute } from '../observability/metrics-route.js';

/**
 * Serves the status resources (`statusPath`, unless `serveStatus: false`) and the
 * dashboard (when `dashboard` is set), neither in an app without an HTTP server such as a
 * worker's; bridges lifecycle events to `@nestjs/event-emitter` (when the app has it), warns about
 * `@QueueableRequest()` routes that cannot work as declared, logs why the store answers
 * 503 (once per cause), starts the worker when `worker.enabled`, logs each job with its
 * correlation id, and on shutdown drains the worker (grace period) and closes connections.
 */
@Injectable()
export class RequestQueueLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RequestQueue');
  private worker?: Worker;
  private shuttingDown = false;
  private removeBridge?: () => void;
  private removeOutageLog?: () => void;
  private stoppedByItself!: (reason: WorkerStopReason) => void;
  private failedByItself!: (error: Error) => void;
  private readonly stopsByItself = new Promise<WorkerStopReason>((resolve, reject) => {
    this.stoppedByItself = resolve;
    this.failedByItself = reject;
  });

  constructor(
    private readonly runtime: RequestQueueRuntime,
    private readonly moduleRef: ModuleRef,
    private readonly routes: QueueableRoutesExplorer,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.stopsByItself.catch(() => {}); // only untilWorkerStops() callers hear of it
  }

  async onModuleInit(): Promise<void> {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter && this.runtime.options.serveStatus) {
      serveStatusRoute(adapter, this.runtime.options.statusPath, this.runtime.status);
    }
    const endpoint = this.runtime.options.metrics?.endpoint;
    if (adapter && endpoint && this.runtime.metrics)
      serveMetricsRoute(adapter, endpoint, this.runtime.metrics.registry);
    const dashboard = this.runtime.options.dashboard;
    if (adapter && dashboard) {
      const { store, options } = this.runtime;
      serveDashboard(adapter, {
        dashboard,
        store,
        secret: options.secret,
        moduleRef: this.moduleRef,
        logger: this.logger,
      });
    }
    this.removeBridge = await bridgeEventsToEventEmitter(this.runtime, this.moduleRef, this.logger);
    this.removeOutageLog = this.runtime.onStoreUnavailable((cause) =>
      this.logger.error(`the store failed, queueable requests get 503 until it works again: ${cause}`),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.checkRoutes();
    if (this.runtime.options.worker.enabled) await this.startWorker();
  }

  /**
   * Starts this process's worker (once: a second call returns the first worker), over the
   * module's `worker` options with `overrides` on top. `onApplicationBootstrap` calls it
   * when `worker.enabled`; `runRequestQueueWorker()` calls it for an app whose options
   * leave the worker off (the API's own module).
   */
  async startWorker(overrides: Partial<WorkerOptions> = {}): Promise<Worker> {
    if (this.worker) return this.worker;
    const worker = this.runtime.createWorker(overrides, {
      onJob: (report) => this.logJob(report),
      onStopping: (reason) =>
        this.logger.log(
          `worker stopping (${reason}): finishing the jobs in hand, up to ${formatDuration(worker.options.gracePeriod)}`,
        ),
      onError: (err) => this.logger.warn(`worker: ${err.message}`),
      onRecovered: (job) => this.logger.warn(`worker: ${describeRecovery(job)}`),
    });
    this.worker = worker;
    await worker.start();
    void worker.stopped.then(
      (reason) => {
        if (this.shuttingDown) return;
        this.logger.log(
          `worker stopped (${reason}); close the application so that its process manager starts it again`,
        );
        this.stoppedByItself(reason);
      },
      (err: Error) => {
        this.logger.error(`worker stopped: ${err.message}`);
        this.failedByItself(err);
      },
    );
    this.logger.log(`worker on ${worker.options.queues.join(', ')} (concurrency ${worker.options.concurrency})`);
    return worker;
  }

  /**
   * Resolves when this process's worker stopped on its own, which `request-queue restart`
   * does: the worker's `main()` then closes the app, and supervisord, systemd or pm2 starts
   * a fresh process. Never resolves for a process without a worker, nor on app shutdown.
   * Rejects with the `RequestQueueConfigError` that stopped the worker when no retry can help
   * (its tables are missing): the message says what to run.
   */
  untilWorkerStops(): Promise<WorkerStopReason> {
    return this.stopsByItself;
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    await this.worker?.stop();
    this.removeBridge?.();
    this.removeOutageLog?.();
    await this.runtime.close();
  }

  /** Warns, once at bootstrap, about routes whose requests would wait forever or outlive their lease. */
  private checkRoutes(): void {
    const o = this.runtime.options;
    const warnings = checkQueueableRoutes(this.routes.explore(o.methods), {
      queue: o.queue,
      workerQueues: o.worker.queues,
      timeout: o.timeout,
      lease: o.driver === 'database' ? o.database.retryAfter : undefined,
      defaultLease: (timeout) => defaultLease(longestAttempt(timeout, o.callback.timeout)),
    });
    for (const warning of warnings) this.logger.warn(warning);
  }

  private logJob(report: JobReport): void {
    const s = summarizeJob(report);
    const line = `${s.correlationId} ${s.request} ${s.status} ${formatDuration(s.durationMs)}`;
    if (s.status === 'DONE') this.logger.log(line);
    else this.logger.warn(`${line}: ${s.detail}`);
  }
}
