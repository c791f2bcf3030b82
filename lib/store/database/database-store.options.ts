import { RequestQueueConfigError } from '../../core/errors.js';
import { defaultLease, LEASE_MARGIN_MS } from '../../core/policies.js';

// The package's public types leave TypeORM out (it is an optional peer): an app on the Redis
// driver type-checks without it installed. TypeORM's own `DataSourceOptions` and `DataSource`
// are assignable to the two types below; the store uses them as TypeORM's.

/**
 * TypeORM connection options (`DataSourceOptions`), `type` `mysql`, `mariadb`, `postgres` or
 * `better-sqlite3`: a `DataSourceOptions` value, or an object literal of its options (add
 * `satisfies DataSourceOptions` to have TypeORM's types check them).
 */
export type DatabaseConnectionOptions =
  { readonly type: string; readonly [option: string]: unknown } | { readonly type: string };

/** A TypeORM `DataSource`, as far as these types need to say. */
export interface DatabaseDataSource {
  readonly options: { readonly type: string };
  readonly isInitialized: boolean;
  initialize(): Promise<unknown>;
  destroy(): Promise<void>;
  query(query: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Settings of the `database` driver. Give exactly one of `url`, `options` or `dataSource`.
 * Times are in milliseconds.
 */
export interface DatabaseStoreOptions {
  /**
   * Where the tables live: `mysql://…`, `mariadb://…`, `postgres://…` (or `postgresql://…`),
   * or `sqlite:<file>` (embedded, through better-sqlite3; the folder is created) [none].
   */
  url?: string;
  /**
   * TypeORM connection options (`type` `mysql`, `mariadb`, `postgres` or `better-sqlite3`) [none].
   * The store opens its own DataSource from them and closes it on shutdown.
   */
  options?: DatabaseConnectionOptions;
  /**
   * A DataSource the app already has (e.g. injected from `@nestjs/typeorm`). It is
   * initialized if it is not yet, and never closed by the store [none].
   */
  dataSource?: DatabaseDataSource;
  /**
   * Apply the request queue's migrations (`migrations/`) when the store starts [false].
   * Only for a DataSource the store opens itself; add `requestQueueMigrations` to your own
   * DataSource's `migrations` otherwise.
   */
  migrationsRun?: boolean;
  /**
   * The lease: a reserved job whose worker has not finished it after this long is handed
   * out again (Laravel's `retry_after`). Must exceed the longest attempt (`timeout` and
   * `callback.timeout`) [the longer of 90 s and that attempt + 30 s].
   */
  retryAfter?: number;
  /** How long an idle worker waits before it looks for jobs again; bounds pickup latency (Laravel's `--sleep`) [1000]. */
  sleep?: number;
  /** Most jobs one worker reserves in one round trip [the worker's concurrency]. */
  batchSize?: number;
  /** How long a claim or enqueue may wait on the database before the request gets 503 [2000]. */
  commandTimeout?: number;
}

/** The `database` settings with defaults applied and checked. */
export interface ResolvedDatabaseOptions {
  url?: string;
  options?: DatabaseConnectionOptions;
  dataSource?: DatabaseDataSource;
  migrationsRun: boolean;
  retryAfter: number;
  sleep: number;
  batchSize?: number;
  commandTimeout: number;
}

/**
 * Applies the `database` defaults. `longestAttempt` is the longest timeout of one attempt
 * (replay or callback): a lease no longer than that would let a second worker take a job
 * that is still running, so it is refused.
 */
export function resolveDatabaseOptions(
  options: DatabaseStoreOptions,
  longestAttempt: number,
  required: boolean,
): ResolvedDatabaseOptions {
  const given = [options.url, options.options, options.dataSource].filter((v) => v !== undefined).length;
  if (required && given === 0) {
    throw new RequestQueueConfigError(
      "the database driver needs database.url (e.g. 'sqlite:./var/request-queue.sqlite'), database.options or database.dataSource",
    );
  }
  if (given > 1) {
    throw new RequestQueueConfigError('give only one of database.url, database.options and database.dataSource');
  }
  if (options.dataSource && options.migrationsRun) {
    throw new RequestQueueConfigError(
      'database.migrationsRun works on a DataSource the store opens; for your own DataSource add requestQueueMigrations to its migrations and run them with your other migrations',
    );
  }
  const retryAfter = options.retryAfter ?? defaultLease(longestAttempt);
  if (typeof retryAfter !== 'number' || !Number.isFinite(retryAfter) || retryAfter <= longestAttempt) {
    throw new RequestQueueConfigError(
      `database.retryAfter (${retryAfter} ms) must exceed the longest attempt timeout (${longestAttempt} ms, the longer of timeout and callback.timeout), ` +
        `or a job still running could be handed to a second worker: set database.retryAfter to ${defaultLease(longestAttempt)} ms ` +
        `(the default for these timeouts, with a ${LEASE_MARGIN_MS / 1000} s margin), or leave it unset, or lower timeout/callback.timeout`,
    );
  }
  const sleep = options.sleep ?? 1000;
  if (!Number.isFinite(sleep) || sleep < 1)
    throw new RequestQueueConfigError(`database.sleep must be at least 1 ms (got ${sleep})`);
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw new RequestQueueConfigError(`database.batchSize must be a positive integer (got ${options.batchSize})`);
  }
  const commandTimeout = options.commandTimeout ?? 2000;
  if (!Number.isFinite(commandTimeout) || commandTimeout < 1) {
    throw new RequestQueueConfigError(`database.commandTimeout must be at least 1 ms (got ${commandTimeout})`);
  }
  return {
    url: options.url,
    options: options.options,
    dataSource: options.dataSource,
    migrationsRun: options.migrationsRun ?? false,
    retryAfter,
    sleep,
    batchSize: options.batchSize,
    commandTimeout,
  };
}
