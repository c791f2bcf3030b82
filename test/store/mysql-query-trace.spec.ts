import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { ownDataSourceOptions } from '../../lib/store/database/open-data-source.js';
import { MARIADB } from '../support/store-servers.js';

/** The mysql2 pool under a TypeORM DataSource (its driver's `pool`), as far as this test reads it. */
interface Mysql2Pool {
  config: { connectionConfig: { trace: boolean } };
  getConnection(done: (err: Error | null, connection: { config: { trace: boolean }; release(): void }) => void): void;
}

async function traceOf(options: Record<string, unknown>): Promise<{ pool: boolean; connection: boolean }> {
  const dataSource = new DataSource(
    ownDataSourceOptions(
      {
        options: {
          type: 'mariadb',
          host: MARIADB.host,
          port: MARIADB.port,
          username: MARIADB.user,
          database: 'test',
          ...options,
        },
      },
      5000,
    ),
  );
  await dataSource.initialize();
  try {
    await dataSource.query('SELECT 1');
    const pool = (dataSource.driver as unknown as { pool: Mysql2Pool }).pool;
    const connection = await new Promise<boolean>((resolve, reject) =>
      pool.getConnection((err, c) => {
        if (err) return reject(err);
        resolve(c.config.trace);
        c.release();
      }),
    );
    return { pool: pool.config.connectionConfig.trace, connection };
  } finally {
    await dataSource.destroy();
  }
}

describe('MariaDB connections the database store opens itself', () => {
  it('do not capture a stack trace per query (mysql2 `trace`), unless the options ask for it', async () => {
    expect(await traceOf({})).toEqual({ pool: false, connection: false });
    expect(await traceOf({ trace: true })).toEqual({ pool: true, connection: true });
  });
});
