import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { deferred } from '../core/async.js';
import { RequestQueueConfigError } from '../core/errors.js';
import type { WorkerOptions, WorkerStopReason } from '../worker/worker.js';
import { RequestQueueLifecycle } from './request-queue.lifecycle.js';

type NestApplicationContextOptions = NonNullable<Parameters<typeof NestFactory.createApplicationContext>[1]>;

/** Options of `runRequestQueueWorker()`; each one has a default. */
export interface RunRequestQueueWorkerOptions {
  /** Queues to take jobs from, highest priority first [the module's `worker.queues`]. */
  queues?: string[];
  /** Jobs run at once [the module's `worker.concurrency`]. */
  concurrency?: number;
  /** Options of the Nest application context (its `logger`, say) [Nest's defaults]. */
  context?: NestApplicationContextOptions;
  /**
   * End the process once the worker has stopped and the app is closed: exit code 0 after a
   * signal or `request-queue restart`, 4 when a configuration error stopped it (missing
   * tables; logged with the fix), 1 after a second signal or another error [true].
   */
  exit?: boolean;
}

/** A running worker: its application context, and how it ends. */
export interface RunningRequestQueueWorker {
  app: INestApplicationContext;
  /** Resolves once the worker has stopped and the app is closed, with why it stopped. */
  finished: Promise<WorkerStopReason>;
}

/**
 * Runs the request queue's worker inside your own app, as `nest start worker` runs the
 * sample's. `src/worker.ts`:
 *
 * ```ts
 * import { runRequestQueueWorker } from 'nestjs-request-queue';
 * import { AppModule } from './app.module';
 *
 * void runRequestQueueWorker(AppModule);
 * ```
 *
 * then `node dist/worker.js` (or `nest start --entryFile worker` while developing). It boots
 * `module` as an application context (no HTTP listener; your providers exist, so replays of
 * other processes reach the same code), starts the worker on the module's options whether
 * or not they enable it, and logs one line per job. SIGTERM or SIGINT (and `request-queue
 * restart`) make it stop taking jobs, finish those in hand within the grace period, close
 * the app and exit 0, so a process manager can start it again. A second signal exits at
 * once (1); the jobs in hand are then left to their lease and run again.
 */
export async function runRequestQueueWorker(
  module: Type<unknown> | DynamicModule,
  options: RunRequestQueueWorkerOptions = {},
): Promise<RunningRequestQueueWorker> {
  const exit = options.exit ?? true;
  let app: INestApplicationContext;
  try {
    // abortOnError off: a startup error (missing tables, a missing driver package) reaches
    // this function, which exits 4 with its message, instead of Nest's exit 1.
    app = await NestFactory.createApplicationContext(module, { abortOnError: false, ...options.context });
  } catch (err) {
    if (exit && err instanceof RequestQueueConfigError) {
      process.stderr.write(`request queue worker: ${err.message}\n`);
      process.exit(4);
    }
    throw err;
  }
  const overrides: Partial<WorkerOptions> = {
    ...(options.queues && { queues: options.queues }),
    ...(options.concurrency && { concurrency: options.concurrency }),
  };
  let lifecycle: RequestQueueLifecycle;
  try {
    lifecycle = app.get(RequestQueueLifecycle, { strict: false });
    await lifecycle.startWorker(overrides);
  } catch (err) {
    await app.close();
    throw err;
  }
  let signalled = false;
  const stopRequested = deferred<WorkerStopReason>();
  const onSignal = () => {
    if (signalled) {
      if (exit) process.exit(1);
      return;
    }
    signalled = true;
    stopRequested.resolve('stopped');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const finished = (async (): Promise<WorkerStopReason> => {
    try {
      // Rejects when the worker stopped on an error no retry can help (missing tables).
      return await Promise.race([lifecycle.untilWorkerStops(), stopRequested.promise]);
    } finally {
      try {
        await app.close(); // stops the worker (finishing the jobs in hand) and closes the store
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    }
  })();
  if (exit) {
    finished.then(
      () => process.exit(0),
      (err: unknown) => {
        // A configuration error was logged with its fix already; anything else gets its stack.
        if (!(err instanceof RequestQueueConfigError)) {
          process.stderr.write(`request queue worker: ${(err as Error)?.stack ?? String(err)}\n`);
        }
        process.exit(err instanceof RequestQueueConfigError ? 4 : 1);
      },
    );
  }
  return { app, finished };
}
