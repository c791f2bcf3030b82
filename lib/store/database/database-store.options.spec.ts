import { DataSource, type DataSourceOptions } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { RequestQueueConfigError, resolveOptions } from '../../request-queue.options.js';
import { resolveDatabaseOptions, type DatabaseStoreOptions } from './database-store.options.js';

describe('database options', () => {
  it('defaults the lease to the longer of 90 s and the longest attempt + 30 s', () => {
    expect(resolveDatabaseOptions({ url: 'sqlite:x' }, 30_000, true)).toMatchObject({
      retryAfter: 90_000,
      sleep: 1000,
      commandTimeout: 2000,
      migrationsRun: false,
      batchSize: undefined,
    });
    expect(resolveDatabaseOptions({ url: 'sqlite:x' }, 120_000, true).retryAfter).toBe(150_000);
  });

  it('refuses a lease that does not outlast the longest attempt', () => {
    expect(() => resolveDatabaseOptions({ url: 'sqlite:x', retryAfter: 30_000 }, 30_000, true)).toThrow(
      /retryAfter.*must exceed/,
    );
    expect(() => resolveDatabaseOptions({ url: 'sqlite:x', retryAfter: 60_000 }, 120_000, true)).toThrow(
      'database.retryAfter (60000 ms) must exceed the longest attempt timeout (120000 ms, the longer of timeout and callback.timeout), ' +
        'or a job still running could be handed to a second worker: set database.retryAfter to 150000 ms',
    );
    expect(() =>
      resolveOptions({
        driver: 'database',
        database: { url: 'sqlite:x', retryAfter: 20_000 },
        callback: { timeout: 25_000 },
      }),
    ).toThrow(RequestQueueConfigError);
    expect(
      resolveOptions({ driver: 'database', database: { url: 'sqlite:x', retryAfter: 40_000 } }).database.retryAfter,
    ).toBe(40_000);
  });

  it('needs exactly one connection setting with the database driver', () => {
    expect(() => resolveOptions({ driver: 'database' })).toThrow(/database\.url/);
    expect(() =>
      resolveDatabaseOptions({ url: 'sqlite:x', options: { type: 'better-sqlite3', database: 'x' } }, 1000, true),
    ).toThrow(/only one/);
    expect(resolveOptions({ driver: 'redis' }).database.url).toBeUndefined();
  });

  it('refuses migrationsRun on a DataSource the app owns, and bad numbers', () => {
    const dataSource = {} as never;
    expect(() => resolveDatabaseOptions({ dataSource, migrationsRun: true }, 1000, true)).toThrow(
      /requestQueueMigrations/,
    );
    expect(() => resolveDatabaseOptions({ url: 'sqlite:x', sleep: 0 }, 1000, true)).toThrow(/sleep/);
    expect(() => resolveDatabaseOptions({ url: 'sqlite:x', batchSize: 1.5 }, 1000, true)).toThrow(/batchSize/);
    expect(() => resolveDatabaseOptions({ url: 'sqlite:x', commandTimeout: -1 }, 1000, true)).toThrow(/commandTimeout/);
  });
});

describe('database options: TypeORM values in types that leave TypeORM out', () => {
  it("takes TypeORM's DataSourceOptions, an object literal of them, and a DataSource as they are", () => {
    // Checked by tsc (the repository's type check): TypeORM's own types fit the structural ones.
    const options: DataSourceOptions = { type: 'better-sqlite3', database: ':memory:' };
    const given: DatabaseStoreOptions[] = [
      { options },
      { options: { type: 'postgres', host: '127.0.0.1', port: 5432, extra: { max: 2 } } },
      { dataSource: new DataSource(options) },
    ];
    for (const database of given) {
      const resolved = resolveDatabaseOptions(database, 30_000, true);
      expect(resolved.options ?? resolved.dataSource).toBe(database.options ?? database.dataSource);
    }
  });
});
