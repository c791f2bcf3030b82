import type { DynamicModule, FactoryProvider, ModuleMetadata } from '@nestjs/common';
import { RequestQueueModule } from '../nest/request-queue.module.js';
import type { RequestQueueModuleOptions } from '../request-queue.options.js';
import { REQUEST_QUEUE_STORE } from '../store/request-queue.store.js';
import { MemoryStore } from './memory.store.js';
import { REQUEST_QUEUE_TESTING_OPTIONS, RequestQueueTester, type TestingSettings } from './request-queue-tester.js';

/** The module's options, plus what only tests need. */
export interface RequestQueueTestingOptions extends RequestQueueModuleOptions {
  /** Really POST callbacks to their URLs; by default they are only recorded (`tester.callbacks()`) [false]. */
  deliverCallbacks?: boolean;
}

/** `forRootAsync`: the module's options from a factory (e.g. the app's `ConfigService`), as `RequestQueueModule.forRootAsync`. */
export interface RequestQueueTestingAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => RequestQueueModuleOptions | Promise<RequestQueueModuleOptions>;
  inject?: FactoryProvider['inject'];
  /** See `RequestQueueTestingOptions.deliverCallbacks` [false]. */
  deliverCallbacks?: boolean;
}

/** The secret used when a test sets none (a fixed one, so no warning about the development key). */
export const TESTING_SECRET = 'nestjs-request-queue-testing-secret';

/**
 * `RequestQueueModule` for an app's own tests (Laravel's `Queue::fake()`): import
 * `RequestQueueTestingModule.forRoot(options)` where the app imports
 * `RequestQueueModule.forRoot(options)`. The module is the real one (interceptor, gate,
 * sealing, status resources) with an in-memory store and no worker of its own; a
 * `RequestQueueTester` lists what was queued, runs it (`runQueued()`) and records the
 * callbacks without sending them. The store settings (`driver`, `redis`, `database`) and
 * `worker.enabled` of `options` are ignored, so the app's own options can be passed as they are.
 */
export class RequestQueueTestingModule {
  static forRoot(options: RequestQueueTestingOptions = {}): DynamicModule {
    const { deliverCallbacks = false, ...moduleOptions } = options;
    return withMemoryStore(RequestQueueModule.forRoot(forTests(moduleOptions)), { deliverCallbacks });
  }

  static forRootAsync(options: RequestQueueTestingAsyncOptions): DynamicModule {
    const { deliverCallbacks = false, useFactory, inject, imports } = options;
    const base = RequestQueueModule.forRootAsync({
      imports,
      inject,
      useFactory: async (...args: unknown[]) => forTests(await useFactory(...(args as never[]))),
    });
    return withMemoryStore(base, { deliverCallbacks });
  }
}

/** The app's options with the store and the worker of the testing module. */
function forTests(options: RequestQueueModuleOptions): RequestQueueModuleOptions {
  return {
    secret: TESTING_SECRET,
    ...options,
    driver: 'redis', // never connected: the store is replaced below
    redis: {},
    database: undefined,
    worker: { ...options.worker, enabled: false },
  };
}

function withMemoryStore(base: DynamicModule, settings: TestingSettings): DynamicModule {
  return {
    ...base,
    providers: [
      ...(base.providers ?? []),
      // Replaces the module's store: a later provider of a token wins.
      { provide: REQUEST_QUEUE_STORE, useFactory: () => new MemoryStore() },
      { provide: REQUEST_QUEUE_TESTING_OPTIONS, useValue: settings },
      RequestQueueTester,
    ],
    exports: [...(base.exports ?? []), RequestQueueTester],
  };
}
