import { Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DEVELOPMENT_SECRET } from '../core/secret-keys.js';
import { resolveOptions, type RequestQueueModuleOptions, type ResolvedOptions } from '../request-queue.options.js';
import { RequestQueueRuntime } from '../runtime.js';
import { createStore } from '../store/create-store.js';
import { loadObservability } from '../observability/load-observability.js';
import { REQUEST_QUEUE_STORE, type RequestQueueStore } from '../store/request-queue.store.js';
import { QueueableRoutesExplorer } from './queueable-routes.explorer.js';
import { RESOLVED_OPTIONS } from './request-queue.constants.js';
import { RequestQueueInterceptor } from './request-queue.interceptor.js';
import { RequestQueueLifecycle } from './request-queue.lifecycle.js';
import { ConfigurableModuleClass, REQUEST_QUEUE_MODULE_OPTIONS } from './request-queue.module-definition.js';

/**
 * `RequestQueueModule.forRoot(options)` / `forRootAsync({ imports, useFactory, inject })`.
 * Global by default, so `@QueueableRequest()` works in every module of the app.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RESOLVED_OPTIONS,
      inject: [REQUEST_QUEUE_MODULE_OPTIONS],
      useFactory: (options: RequestQueueModuleOptions): ResolvedOptions => {
        const resolved = resolveOptions(options);
        if (resolved.secret === DEVELOPMENT_SECRET) {
          new Logger('RequestQueue').warn(
            'no secret set: using the insecure development key (set one before production)',
          );
        }
        return resolved;
      },
    },
    {
      provide: REQUEST_QUEUE_STORE,
      inject: [RESOLVED_OPTIONS],
      useFactory: (options: ResolvedOptions) => createStore(options),
    },
    {
      provide: RequestQueueRuntime,
      inject: [RESOLVED_OPTIONS, REQUEST_QUEUE_STORE],
      useFactory: async (options: ResolvedOptions, store: RequestQueueStore) =>
        new RequestQueueRuntime(options, store, undefined, await loadObservability(options)),
    },
    RequestQueueInterceptor,
    QueueableRoutesExplorer,
    RequestQueueLifecycle,
  ],
  exports: [RequestQueueRuntime, REQUEST_QUEUE_STORE, RESOLVED_OPTIONS, RequestQueueInterceptor],
})
export class RequestQueueModule extends ConfigurableModuleClass {}
