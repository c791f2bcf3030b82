import { resolve } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import type { SqlClient, SqlExecutor, SqlResult } from './sql-client.js';

/**
 * One queue of turns per database file in this process. better-sqlite3 blocks the thread
 * while it waits for another connection's lock, so two connections of one process on one
 * file (two stores, say) must take turns here: blocking on a lock held by a transaction of
 * this same thread would wait for nothing until the busy timeout.
 */
const turns = new Map<string, Turns>();

interface Turns {
  tail: Promise<unknown>;
  users: number;
  /** When the event loop last came round (a check phase ran) while turns were queued. */
  loopSeenAt: number;
  /** A setImmediate that records `loopSeenAt` is pending. */
  watching: boolean;
}

/**
 * How long one of our statements may block the thread on another process's lock (SQLite's
 * busy timeout while it runs). Past it the statement fails SQLITE_BUSY and is tried again
 * after an asynchronous pause, so the event loop keeps running while another process (an API
 * and its worker on one file) holds the write lock.
 */
export const SQLITE_BUSY_BLOCK_MS = 2;
/** The longest asynchronous pause between two tries on a busy database. */
const MAX_BUSY_PAUSE_MS = 20;
/**
 * Turns run one after another on promise callbacks, which never let the event loop come
 * round: a burst of statements (many enqueues at once) would hold timers and I/O for its
 * whole length. After this long without the loop coming round, the next turn waits for it.
 */
const MAX_TURNS_WITHOUT_LOOP_MS = 10;

/**
 * The embedded database: better-sqlite3's one synchronous connection, taken from the
 * TypeORM DataSource. Every statement and transaction runs one at a time (a promise
 * chain per file, shared by the process's connections to it), so a transaction's
 * statements are never interleaved with another call's. Write transactions start with
 * `BEGIN IMMEDIATE`, so another process (a separate worker) waits for the lock before its
 * transaction starts instead of failing half way. That wait is asynchronous: while our
 * statements run, the connection's busy timeout is {@link SQLITE_BUSY_BLOCK_MS}, and a busy
 * `BEGIN IMMEDIATE` or single statement is tried again after a short pause (growing, with
 * jitter), until the connection's own busy timeout (better-sqlite3's `timeout`, 5 s by
 * default) has passed; then it fails as before. The connection's busy timeout is put back
 * after each of our turns, for the app's own statements on a DataSource it shares.
 */
export class SqliteSqlClient implements SqlClient {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  private readonly file: string;
  private readonly turn: Turns;
  /** The connection's own busy timeout: how long a busy statement is tried again before it fails. */
  private readonly patienceMs: number;

  /** The client over a better-sqlite3 DataSource's connection (TypeORM's driver exposes it as `databaseConnection`). */
  static of(dataSource: DataSource): SqliteSqlClient {
    return new SqliteSqlClient(
      (dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection,
    );
  }

  constructor(private readonly db: BetterSqlite3.Database) {
    this.file = db.memory ? `:memory:${Math.random()}` : resolve(db.name);
    this.turn = turns.get(this.file) ?? { tail: Promise.resolve(), users: 0, loopSeenAt: 0, watching: false };
    this.turn.users++;
    turns.set(this.file, this.turn);
    this.patienceMs = Number(db.pragma('busy_timeout', { simple: true })) || 0;
  }

  /** Forgets this connection's turn queue (call when the connection closes). */
  dispose(): void {
    if (--this.turn.users === 0 && turns.get(this.file) === this.turn) turns.delete(this.file);
  }

  run(sql: string, params: readonly unknown[] = []): Promise<SqlResult> {
    return this.exclusive(() => this.whenFree(() => this.exec(sql, params)));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.whenFree(() => this.exec('BEGIN IMMEDIATE', []));
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

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const turn = async () => {
      await this.letLoopRound();
      this.db.pragma(`busy_timeout = ${SQLITE_BUSY_BLOCK_MS}`);
      try {
        return await task();
      } finally {
        if (this.db.open) this.db.pragma(`busy_timeout = ${this.patienceMs}`);
      }
    };
    const result = this.turn.tail.then(turn, turn);
    this.turn.tail = result.catch(() => {});
    return result;
  }

  /** Waits for the event loop to come round when turns have kept it waiting too long. */
  private async letLoopRound(): Promise<void> {
    const turns = this.turn;
    const now = performance.now();
    if (!turns.watching) {
      // No turn ran since the last check phase: the loop is not being held by these turns.
      turns.loopSeenAt = now;
      turns.watching = true;
      setImmediate(() => {
        turns.watching = false;
        turns.loopSeenAt = performance.now();
      });
    }
    if (now - turns.loopSeenAt > MAX_TURNS_WITHOUT_LOOP_MS) await nextTurn();
  }

  /**
   * Runs `statement` (one that takes the lock: a single statement, or `BEGIN IMMEDIATE`),
   * trying it again after a pause while another process holds the database, until the
   * connection's busy timeout has passed.
   */
  private async whenFree<T>(statement: () => T): Promise<T> {
    const deadline = performance.now() + this.patienceMs;
    for (let tries = 0; ; tries++) {
      try {
        return statement();
      } catch (err) {
        if (!isBusy(err) || performance.now() >= deadline) throw err;
        const pause = Math.min(MAX_BUSY_PAUSE_MS, 2 ** tries);
        await sleep(Math.max(1, Math.min(pause * (0.5 + Math.random()), deadline - performance.now())));
      }
    }
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

/** Another connection holds the lock (SQLITE_BUSY and its extended codes). */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** Runs `work` at once, as a promise: a throw becomes a rejection, as a SqlExecutor's callers expect. */
function promised<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}
