import { getQueueToken } from '@nestjs/bull';
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { RequestQueueConfigError } from '../core/errors.js';
import { RedisStore } from '../store/redis/redis.store.js';
import { REQUEST_QUEUE_STORE, type RequestQueueStore } from '../store/request-queue.store.js';

/**
 * Exposes the `redis` driver's Bull queues under `@nestjs/bull`'s injection tokens, so
 * `@InjectQueue('api:request')` — and tools built on it, such as bull-board's Nest module —
 * see the request queue's jobs. Import it next to `RequestQueueModule` (from
 * `nestjs-request-queue/bull`, which needs `@nestjs/bull` installed):
 *
 * ```ts
 * imports: [RequestQueueModule.forRoot({ driver: 'redis', … }), RequestQueueBullModule.forQueues(['api:request'])]
 * ```
 *
 * The queues belong to the store: it opens them on first use and closes them on shutdown.
 */
@Module({})
export class RequestQueueBullModule {
  static forQueues(names: readonly string[]): DynamicModule {
    const providers: Provider[] = names.map((name) => ({
      provide: getQueueToken(name),
      inject: [REQUEST_QUEUE_STORE],
      useFactory: (store: RequestQueueStore) => {
        if (!(store instanceof RedisStore)) {
          throw new RequestQueueConfigError(`RequestQueueBullModule needs driver 'redis' (queue '${name}')`);
        }
        return store.queue(name);
      },
    }));
    return {
      module: RequestQueueBullModule,
      providers,
      exports: providers.map((p) => (p as { provide: string }).provide),
    };
  }
}
