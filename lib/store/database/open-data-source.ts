import { DataSource, type DataSourceOptions } from 'typeorm';
import { sleep } from '../../core/async.js';
import { requestQueueMigrations } from '../../../migrations/index.js';
import { RequestQueueConfigError } from '../../core/errors.js';
import type { DatabaseConnectionOptions } from './database-store.options.js';
import { dataSourceOptionsFromUrl } from './database-url.js';
import { dialectOf, unsupportedType } from './dialect.js';

/** Where TypeORM records which of the request queue's migrations ran (apart from the app's own). */
export const MIGRATIONS_TABLE = 'request_queue_migrations';

/**
 * The options of a DataSource the store opens itself: the given ones over defaults that
 * make an unreachable server fail fast (connect timeout) and a small pool, plus the
 * request queue's migrations.
 */
export function ownDataSourceOptions(
  source: { url?: string; options?: DatabaseConnectionOptions },
  connectTimeout: number,
): DataSourceOptions {
  // TypeORM's options, typed structurally in the package's options (database-store.options.ts).
  const options = source.options as DataSourceOptions | undefined;
  const given = options ?? (source.url ? dataSourceOptionsFromUrl(source.url) : undefined);
  if (!given) throw new RequestQueueConfigError('database.url or database.options is required');
  const common = {
    logging: false,
    synchronize: false,
    entities: [],
    migrations: requestQueueMigrations,
    migrationsTableName: MIGRATIONS_TABLE,
  };
  switch (given.type) {
    case 'mysql':
    case 'mariadb':
      return {
        connectTimeout: connectTimeout,
        // mysql2 captures a stack trace for every query by default (to decorate a failed
        // query's error): about 40 µs a query, a tenth of a worker's CPU per job. The store
        // turns its SQL errors into its own; `trace: true` in the options brings it back.
        trace: false,
        ...given,
        ...common,
        extra: { connectionLimit: 10, enableKeepAlive: true, ...(given.extra as object | undefined) },
      };
    case 'postgres':
      return {
        connectTimeoutMS: connectTimeout,
        ...given,
        ...common,
        extra: { max: 10, ...(given.extra as object | undefined) },
      };
    case 'better-sqlite3':
      return { enableWAL: true, timeout: 5000, ...given, ...common };
    default:
      throw unsupportedType(given.type);
  }
}

/** Initializes a DataSource, naming the missing package when the dialect's driver is not installed. */
export async function initializeDataSource(dataSource: DataSource): Promise<void> {
  if (dataSource.isInitialized) return;
  try {
    await dataSource.initialize();
  } catch (err) {
    if ((err as Error).name === 'DriverPackageNotInstalledError') {
      throw new RequestQueueConfigError(
        `${(err as Error).message} (the database driver needs it for type '${dataSource.options.type}')`,
      );
    }
    throw err;
  }
}

/** The name of the lock that keeps two processes from migrating at once. */
const MIGRATION_LOCK = 'request_queue_migrations';

/**
 * Runs the pending request-queue migrations. Processes that start together (an API and
 * its workers) take turns: on MySQL/MariaDB and PostgreSQL under a named lock
 * (`GET_LOCK`, `pg_advisory_lock`), held on a connection of its own; on SQLite under the
 * database's write lock, and a run that lost the race finds nothing pending afterwards.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  const dialect = dialectOf(dataSource);
  if (dialect === 'sqlite') {
    for (let attempt = 1; ; attempt++) {
      try {
        await dataSource.runMigrations();
        return;
      } catch (err) {
        if (!(await dataSource.showMigrations())) return; // another process ran them
        if (attempt === 5) throw err;
        await sleep(200 * attempt);
      }
    }
  }
  const lock = dataSource.createQueryRunner();
  try {
    await lock.query(dialect === 'mysql' ? 'SELECT GET_LOCK(?, 60)' : 'SELECT pg_advisory_lock(hashtext($1))', [
      MIGRATION_LOCK,
    ]);
    await dataSource.runMigrations();
  } finally {
    await lock
      .query(dialect === 'mysql' ? 'SELECT RELEASE_LOCK(?)' : 'SELECT pg_advisory_unlock(hashtext($1))', [
        MIGRATION_LOCK,
      ])
      .catch(() => {}); // the lock ends with its connection anyway
    await lock.release();
  }
}
