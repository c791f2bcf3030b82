import type { DataSource, QueryRunner } from 'typeorm';
import { sleep } from '../../core/async.js';
import type { SqlClient, SqlExecutor, SqlResult } from './sql-client.js';
import { isConnectionLost, isRetryableConflict } from './sql-errors.js';

/** How often a transaction that lost a deadlock is run again before the error is passed on. */
const CONFLICT_RETRIES = 5;
/** How many dead pooled connections a transaction steps over before the error is passed on. */
const DEAD_CONNECTION_RETRIES = 3;

/**
 * MySQL/MariaDB and PostgreSQL through a TypeORM DataSource's pool. Each statement or
 * transaction borrows a connection and gives it back; a connection that broke (server
 * restarted, `KILL CONNECTION`) is dropped by the pool and the next call opens a new one.
 */
export class TypeormSqlClient implements SqlClient {
  constructor(
    private readonly dataSource: DataSource,
    readonly dialect: 'mysql' | 'postgres',
  ) {}

  async run(sql: string, params: readonly unknown[] = []): Promise<SqlResult> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await this.query(runner, sql, params);
    } finally {
      await runner.release();
    }
  }

  /**
   * Also steps over pooled connections that died while idle (killed, server restarted):
   * such a connection fails on `START TRANSACTION`, before anything ran, so the
   * transaction simply starts again on a fresh connection.
   */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1, dead = 0; ; attempt++) {
      const runner = this.dataSource.createQueryRunner();
      try {
        await runner.startTransaction();
      } catch (err) {
        await runner.release().catch(() => {});
        if (++dead < DEAD_CONNECTION_RETRIES && isConnectionLost(err)) continue;
        throw err;
      }
      try {
        const result = await work({
          dialect: this.dialect,
          run: (sql, params = []) => this.query(runner, sql, params),
        });
        await runner.commitTransaction();
        return result;
      } catch (err) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => {});
        // Only a lost lock conflict is run again: the work is SQL only, and nothing was committed.
        if (attempt < CONFLICT_RETRIES && isRetryableConflict(err)) {
          await sleep(Math.random() * 10 * attempt);
          continue;
        }
        throw err;
      } finally {
        await runner.release();
      }
    }
  }

  private async query(runner: QueryRunner, sql: string, params: readonly unknown[]): Promise<SqlResult> {
    const text = this.dialect === 'postgres' ? numberedPlaceholders(sql) : sql;
    const result = await runner.query(text, [...params], true);
    const raw = result.raw as { insertId?: number | string } | undefined;
    return {
      rows: (result.records ?? []) as Record<string, unknown>[],
      affected: result.affected ?? 0,
      insertId: this.dialect === 'mysql' && raw && raw.insertId !== undefined ? String(raw.insertId) : undefined,
    };
  }
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the store's SQL has no `?` inside literals). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
