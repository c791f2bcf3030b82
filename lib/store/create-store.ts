import type { ResolvedOptions } from '../request-queue.options.js';
import { RequestQueueConfigError } from '../core/errors.js';
import { dataSourceOptionsFromUrl } from './database/database-url.js';
import { assertTestedBull } from './redis/bull-version.js';
import type { RequestQueueStore } from './request-queue.store.js';

/**
 * Builds the store for `options.driver`. Each driver is imported only when chosen, so an
 * app on one driver never loads the other's packages (they are optional peers).
 */
export async function createStore(options: ResolvedOptions): Promise<RequestQueueStore> {
  if (options.driver === 'redis') {
    const { RedisStore } = await importDriver(() => import('./redis/redis.store.js'), ['bull', 'ioredis']);
    await assertTestedBull(); // another bull major is refused here, before any job is touched
    const store = new RedisStore(options.redis);
    await store.init();
    return store;
  }
  if (options.driver === 'database') {
    const { DatabaseStore } = await importDriver(
      () => import('./database/database.store.js'),
      ['typeorm', ...sqlDriverPackage(options.database)],
    );
    const store = new DatabaseStore(options.database);
    await store.init();
    return store;
  }
  const driver: string = options.driver; // a plain-JS config is not type-checked
  throw new RequestQueueConfigError(`driver '${driver}' is not available yet`);
}

/**
 * The npm package TypeORM needs for the configured database, so that a message about a
 * missing `typeorm` names it too (one `npm install` instead of two failed starts). None for
 * a DataSource the app owns: it is installed already.
 */
export function sqlDriverPackage(database: ResolvedOptions['database']): string[] {
  if (database.dataSource) return [];
  const type = database.options?.type ?? (database.url ? dataSourceOptionsFromUrl(database.url).type : undefined);
  switch (type) {
    case 'mysql':
    case 'mariadb':
      return ['mysql2'];
    case 'postgres':
      return ['pg'];
    case 'better-sqlite3':
      return ['better-sqlite3'];
    default:
      return [];
  }
}

/**
 * Runs `load` (the import of a driver's store), turning "module not found" for one of the
 * driver's `packages` into a `RequestQueueConfigError` that names the install command.
 * Node says `MODULE_NOT_FOUND` from CommonJS (the published build) and `ERR_MODULE_NOT_FOUND`
 * from ESM; any other missing module (a broken install, a missing file) is rethrown as is.
 */
export async function importDriver<T>(load: () => Promise<T>, packages: readonly string[]): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isMissingPackage(err, packages)) {
      const list = packages.join(' ');
      throw new RequestQueueConfigError(`this driver needs the packages '${list}': npm install ${list}`);
    }
    throw err;
  }
}

function isMissingPackage(err: unknown, packages: readonly string[]): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return false;
  if (typeof message !== 'string') return false;
  // "Cannot find module 'ioredis'" (CommonJS), "Cannot find package 'ioredis' imported from …" (ESM).
  const named = message.match(/^Cannot find (?:module|package) '([^']+)'/)?.[1];
  if (named === undefined) return false;
  return packages.some((name) => named === name || named.startsWith(`${name}/`));
}
