import type { ResolvedOptions } from '../request-queue.options.js';
import { RequestQueueConfigError } from '../request-queue.options.js';
import type { RequestQueueStore } from './request-queue.store.js';

/**
 * Builds the store for `options.driver`. Each driver is imported only when chosen, so an
 * app on one driver never loads the other's packages (they are optional peers).
 */
export async function createStore(options: ResolvedOptions): Promise<RequestQueueStore> {
  if (options.driver === 'redis') {
    const { RedisStore } = await importDriver(() => import('./redis/redis.store.js'), 'bull ioredis');
    const store = new RedisStore(options.redis);
    await store.init();
    return store;
  }
  if (options.driver === 'database') {
    const { DatabaseStore } = await importDriver(() => import('./database/database.store.js'), 'typeorm');
    const store = new DatabaseStore(options.database);
    await store.init();
    return store;
  }
  throw new RequestQueueConfigError(`driver '${options.driver}' is not available yet`);
}

async function importDriver<T>(load: () => Promise<T>, packages: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new RequestQueueConfigError(`this driver needs the packages '${packages}': npm install ${packages}`);
    }
    throw err;
  }
}
