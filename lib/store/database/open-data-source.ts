import { DataSource, type DataSourceOptions } from 'typeorm';
import { requestQueueMigrations } from '../../../migrations/index.js';
import { RequestQueueConfigError } from '../../request-queue.options.js';
import { dataSourceOptionsFromUrl } from './database-url.js';

/** Where TypeORM records which of the request queue's migrations ran (apart from the app's own). */
export const MIGRATIONS_TABLE = 'request_queue_migrations';

/**
 * The options of a DataSource the store opens itself: the given ones over defaults that
 * make an unreachable server fail fast (connect timeout) and a small pool, plus the
 * request queue's migrations.
 */
export function ownDataSourceOptions(source: { url?: string; options?: DataSourceOptions }, connectTimeout: number): DataSourceOptions {
  const given = source.options ?? (source.url ? dataSourceOptionsFromUrl(source.url) : undefined);
  if (!given) throw new RequestQueueConfigError('database.url or database.options is required');
  const common = { logging: false, synchronize: false, entities: [], migrations: requestQueueMigrations, migrationsTableName: MIGRATIONS_TABLE };
  switch (given.type) {
    case 'mysql':
    case 'mariadb':
      return { connectTimeout: connectTimeout, ...given, ...common, extra: { connectionLimit: 10, enableKeepAlive: true, ...given.extra } };
    case 'postgres':
      return { connectTimeoutMS: connectTimeout, ...given, ...common, extra: { max: 10, ...given.extra } };
    case 'better-sqlite3':
      return { enableWAL: true, timeout: 5000, ...given, ...common };
    default:
      throw new RequestQueueConfigError(
        `the database driver works on TypeORM types mysql, mariadb, postgres and better-sqlite3 (got '${given.type}')`,
      );
  }
}

/** Initializes a DataSource, naming the missing package when the dialect's driver is not installed. */
export async function initializeDataSource(dataSource: DataSource): Promise<void> {
  if (dataSource.isInitialized) return;
  try {
    await dataSource.initialize();
  } catch (err) {
    if ((err as Error).name === 'DriverPackageNotInstalledError') {
      throw new RequestQueueConfigError(`${(err as Error).message} (the database driver needs it for type '${dataSource.options.type}')`);
    }
    throw err;
  }
}

/**
 * Runs the pending request-queue migrations. When another process (a second worker, the
 * API) ran them at the same time and this run failed for it, that is not an error: what
 * counts is that none is pending afterwards.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  try {
    await dataSource.runMigrations();
  } catch (err) {
    if (await dataSource.showMigrations().catch(() => true)) throw err;
  }
}
