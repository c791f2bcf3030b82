import type { Dialect } from './dialect.js';

/** What one statement gave back. */
export interface SqlResult {
  /** Rows of a SELECT or of a `RETURNING` clause (empty otherwise). */
  rows: Record<string, unknown>[];
  /** Rows inserted, updated or deleted. */
  affected: number;
  /** The generated id of an INSERT on MySQL/MariaDB (elsewhere use `RETURNING id`). */
  insertId?: string;
}

/** Runs statements. SQL is written with `?` placeholders; values are always bound, never spliced. */
export interface SqlExecutor {
  readonly dialect: Dialect;
  run(sql: string, params?: readonly unknown[]): Promise<SqlResult>;
}

/** A connection pool (or the one embedded connection) the store talks through. */
export interface SqlClient extends SqlExecutor {
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}
