import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import type { SqlClient, SqlExecutor, SqlResult } from './sql-client.js';

/**
 * One queue of turns per database file in this process. better-sqlite3 blocks the thread
 * while it waits for another connection's lock, so two connections of one process on one
 * file (two stores, say) must take turns here: blocking on a lock held by a transaction of
 * this same thread would wait for nothing until the busy timeout.
 */
const turns = new Map<string, { tail: Promise<unknown>; users: number }>();

/**
 * The embedded database: better-sqlite3's one synchronous connection, taken from the
 * TypeORM DataSource. Every statement and transaction runs one at a time (a promise
 * chain per file, shared by the process's connections to it), so a transaction's
 * statements are never interleaved with another call's. Write transactions start with `BEGIN IMMEDIATE`, so another process (a separate
 * worker) waits on the busy timeout instead of failing half way.
 */
export class SqliteSqlClient implements SqlClient {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  private readonly file: string;
  private readonly turn: { tail: Promise<unknown>; users: number };

  /** The client over a better-sqlite3 DataSource's connection (TypeORM's driver exposes it as `databaseConnection`). */
  static of(dataSource: DataSource): SqliteSqlClient {
    return new SqliteSqlClient(
      (dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection,
    );
  }

  constructor(private readonly db: BetterSqlite3.Database) {
    this.file = db.memory ? `:memory:${Math.random()}` : resolve(db.name);
    this.turn = turns.get(this.file) ?? { tail: Promise.resolve(), users: 0 };
    this.turn.users++;
    turns.set(this.file, this.turn);
  }

  /** Forgets this connection's turn queue (call when the connection closes). */
  dispose(): void {
    if (--this.turn.users === 0 && turns.get(this.file) === this.turn) turns.delete(this.file);
  }

  run(sql: string, params: readonly unknown[] = []): Promise<SqlResult> {
    return this.exclusive(() => this.exec(sql, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.exec('BEGIN IMMEDIATE', []);
      try {
        const result = await work({
          dialect: this.dialect,
          run: (sql, params = []) => promised(() => this.exec(sql, params)),
        });
        this.exec('COMMIT', []);
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.exec('ROLLBACK', []);
        throw err;
      }
    });
  }

  private exclusive<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.turn.tail.then(task, task);
    this.turn.tail = result.catch(() => {});
    return result;
  }

  private exec(sql: string, params: readonly unknown[]): SqlResult {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    if (statement.reader) {
      const rows = statement.all(...params) as Record<string, unknown>[];
      return { rows, affected: rows.length };
    }
    const info = statement.run(...params);
    return { rows: [], affected: info.changes, insertId: String(info.lastInsertRowid) };
  }
}

/** Runs `work` at once, as a promise: a throw becomes a rejection, as a SqlExecutor's callers expect. */
function promised<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}
