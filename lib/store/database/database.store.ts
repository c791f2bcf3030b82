import { EventEmitter } from 'node:events';
import { DataSource } from 'typeorm';
import { withTimeout } from '../../core/async.js';
import { baseQueue, withLanes } from '../../core/callback-lane.js';
import type { FailedJob, NewJob } from '../../core/job.js';
import type {
  JobFilter,
  JobSummary,
  QueueStats,
  StatusRecord,
  StatusSeed,
  ThroughputPoint,
} from '../../core/request-status.js';
import { RequestQueueConfigError } from '../../core/errors.js';
import { isJobPayload } from '../job-payload.js';
import { startConsumeLoop } from '../consume-loop.js';
import {
  StoreUnavailableError,
  type ConsumeOptions,
  type JobConsumer,
  type JobHandler,
  type RequestQueueStore,
} from '../request-queue.store.js';
import { DatabaseJobSource } from './database-job-source.js';
import type { ResolvedDatabaseOptions } from './database-store.options.js';
import { DeleteBatcher } from './delete-batcher.js';
import { dialectOf } from './dialect.js';
import { initializeDataSource, ownDataSourceOptions, runMigrations } from './open-data-source.js';
import type { SqlClient } from './sql-client.js';
import { missingTablesMessage } from './missing-tables.js';
import { announceJob, PgJobListener } from './pg-job-listener.js';
import { describeSqlError, isMissingTable } from './sql-errors.js';
import { SqliteSqlClient } from './sqlite-sql-client.js';
import { TypeormSqlClient } from './typeorm-sql-client.js';
import { claimCorrelationId } from './sql/correlation-claims.sql.js';
import {
  deleteFailedJob,
  deleteFailedJobs,
  failedJobIds,
  findFailedJob,
  listFailedJobs,
  type FailedRow,
} from './sql/failed-jobs.sql.js';
import { insertJob } from './sql/jobs.sql.js';
import { listJobSummaries, queueStats } from './sql/job-listing.sql.js';
import { insertQueuedStatus, readStatusRecord, requeueStatus } from './sql/request-status.sql.js';
import { currentDatabase, missingTables } from './sql/schema.sql.js';
import { getSignal, setSignal } from './sql/signals.sql.js';
import { readThroughput } from './sql/throughput.sql.js';

/** How messages name the kind of database. */
const DATABASE_KIND = { mysql: 'MySQL/MariaDB', postgres: 'PostgreSQL', sqlite: 'SQLite' } as const;

/**
 * The `database` driver: Laravel's `jobs` / `failed_jobs` tables through TypeORM, on
 * MySQL/MariaDB, PostgreSQL or embedded SQLite. Reservation is `SELECT … FOR UPDATE SKIP
 * LOCKED` (MySQL/MariaDB, PostgreSQL) or one atomic `UPDATE … RETURNING` (SQLite) under a
 * lease (`retryAfter`); the correlation id claim, the job row and a replay's status record
 * (`request_queue_requests`) are written in one transaction. See docs/database-driver.md.
 */
export class DatabaseStore implements RequestQueueStore {
  private dataSource?: DataSource;
  private sql?: SqlClient;
  private deletes?: DeleteBatcher;
  /** PostgreSQL: hears jobs stored by other processes, for this process's consumers. */
  private listener?: PgJobListener;
  private readonly consumers = new Map<DatabaseJobSource, JobConsumer>();
  private readonly stored = new EventEmitter();
  /** `<type> database '<name>'`, for messages about its tables. */
  private database = 'database';

  constructor(private readonly options: ResolvedDatabaseOptions) {
    this.stored.setMaxListeners(0);
  }

  /** Opens (or adopts) the DataSource and, when asked, applies the migrations. */
  async init(): Promise<void> {
    if (this.sql) return;
    // An app's DataSource is TypeORM's, typed structurally in the options (database-store.options.ts).
    const dataSource =
      (this.options.dataSource as DataSource | undefined) ??
      new DataSource(ownDataSourceOptions(this.options, this.options.commandTimeout));
    const dialect = dialectOf(dataSource);
    try {
      await initializeDataSource(dataSource);
    } catch (err) {
      if (err instanceof RequestQueueConfigError) throw err;
      throw new StoreUnavailableError(
        `cannot open the request queue's ${dataSource.options.type} database: ${describeSqlError(err)}`,
        {
          cause: err,
        },
      );
    }
    if (this.options.migrationsRun && !this.options.dataSource) {
      try {
        await runMigrations(dataSource);
      } catch (err) {
        await dataSource.destroy().catch(() => {});
        throw err;
      }
    }
    const sql = dialect === 'sqlite' ? SqliteSqlClient.of(dataSource) : new TypeormSqlClient(dataSource, dialect);
    try {
      await this.checkTables(sql);
    } catch (err) {
      if (sql instanceof SqliteSqlClient) sql.dispose();
      if (!this.options.dataSource) await dataSource.destroy().catch(() => {});
      throw err;
    }
    this.dataSource = dataSource;
    this.sql = sql;
    this.deletes = new DeleteBatcher(this.sql);
  }

  /**
   * Refuses to start without the tables: an app that started would answer every queued
   * request 503 and a worker would loop on the same error. Two queries, once, at startup.
   */
  private async checkTables(sql: SqlClient): Promise<void> {
    let missing: string[];
    const dialect = sql.dialect;
    try {
      this.database = `${DATABASE_KIND[dialect]} database '${await currentDatabase(sql)}'`;
      missing = await missingTables(sql);
    } catch (err) {
      throw new StoreUnavailableError(
        `cannot read the request queue's tables in the ${this.database}: ${describeSqlError(err)}`,
        { cause: err },
      );
    }
    if (missing.length > 0) {
      throw new RequestQueueConfigError(
        missingTablesMessage(this.database, missing.join(', '), this.options.dataSource !== undefined),
      );
    }
  }

  /** The error for a statement that found a table missing while running: the fix, not only the SQL error. */
  private missingTables(err: unknown): string {
    return missingTablesMessage(this.database, describeSqlError(err), this.options.dataSource !== undefined);
  }

  private get db(): SqlClient {
    if (!this.sql)
      throw new StoreUnavailableError('the database store is not open (call init() first, or it was closed)');
    return this.sql;
  }

  async claim(correlationId: string, ttlMs: number): Promise<boolean> {
    // In a transaction like enqueue: a dead pooled connection is then stepped over safely.
    return this.fast(() =>
      this.db.transaction((tx) => {
        const now = Date.now();
        return claimCorrelationId(tx, correlationId, now, now + ttlMs);
      }),
    );
  }

  async enqueue(job: NewJob, correlationId: string, ttlMs: number, seed?: StatusSeed): Promise<string | null> {
    const id = await this.fast(() =>
      this.db.transaction(async (tx) => {
        const now = Date.now();
        if (!(await claimCorrelationId(tx, correlationId, now, now + ttlMs))) return null;
        const jobId = await insertJob(tx, job, now);
        if (job.delayMs <= 0) await announceJob(tx, job.queue);
        if (job.payload.kind === 'replay') {
          await insertQueuedStatus(
            tx,
            {
              correlationId,
              queue: job.queue,
              jobId,
              queuedAt: job.payload.queuedAt,
              nextAttemptAt: job.delayMs > 0 ? now + job.delayMs : undefined,
              fingerprint: seed?.fingerprint,
            },
            now,
          );
        }
        return jobId;
      }),
    );
    if (id !== null && job.delayMs <= 0) this.stored.emit('job', job.queue);
    return id;
  }

  async readStatus(correlationId: string): Promise<StatusRecord | null> {
    return this.fast(() => readStatusRecord(this.db, correlationId, Date.now()));
  }

  async listJobs(filter: JobFilter): Promise<JobSummary[]> {
    return listJobSummaries(this.db, filter, Date.now());
  }

  async stats(): Promise<QueueStats[]> {
    return queueStats(this.db, Date.now());
  }

  async throughput(sinceMs: number): Promise<ThroughputPoint[]> {
    return readThroughput(this.db, sinceMs);
  }

  /**
   * An API-side call: any failure is a StoreUnavailableError (503), and so is a call that
   * takes longer than `commandTimeout` (it may still finish; then its id answers 409).
   */
  private async fast<T>(call: () => Promise<T>): Promise<T> {
    const ms = this.options.commandTimeout;
    try {
      return await withTimeout(call(), ms, () => {
        throw new StoreUnavailableError(`the database did not answer within ${ms} ms`);
      });
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      if (isMissingTable(err)) throw new StoreUnavailableError(this.missingTables(err), { cause: err });
      throw new StoreUnavailableError(`the database is unreachable: ${describeSqlError(err)}`, { cause: err });
    }
  }

  async consume(options: ConsumeOptions, handler: JobHandler): Promise<JobConsumer> {
    const source = new DatabaseJobSource(this.db, this.deletes!, {
      retryAfter: this.options.retryAfter,
      expiredCheckEvery: options.idleMs ?? this.options.sleep,
      batchSize: this.options.batchSize ?? options.concurrency,
      concurrency: options.concurrency,
      maxJobs: options.maxJobs,
      onStored: (queue) => this.stored.emit('job', queue),
      // A missing table is no outage to wait out: the consumer ends with the fix instead of looping.
      fatal: (err) =>
        isMissingTable(err) ? new RequestQueueConfigError(this.missingTables(err), { cause: err }) : undefined,
    });
    const consumed = withLanes(options.queues); // a delivery stored on a lane wakes its queue's consumers
    const notify = (queue: string) => {
      if (consumed.includes(queue)) source.notify();
    };
    this.stored.on('job', notify);
    if (this.db.dialect === 'postgres' && this.dataSource) {
      this.listener ??= new PgJobListener(this.dataSource, this.db, (queue) => this.stored.emit('job', queue));
      await this.listener.start();
    }
    const loop = startConsumeLoop(source, { ...options, idleMs: options.idleMs ?? this.options.sleep }, handler);
    this.consumers.set(source, loop);
    const finished = loop.finished.then(async (end) => {
      this.stored.off('job', notify);
      await source.release();
      await this.deletes?.counts.flush();
      this.consumers.delete(source);
      return end;
    });
    return {
      finished,
      get failure() {
        return loop.failure;
      },
      stop: (graceMs) =>
        loop
          .stop(graceMs)
          .then(() => finished)
          .then(() => {}),
    };
  }

  async listFailed(): Promise<FailedJob[]> {
    return (await listFailedJobs(this.db)).map(toFailedJob);
  }

  async retryFailed(ids: readonly string[]): Promise<number> {
    let moved = 0;
    for (const id of new Set(ids)) {
      if (!/^\d+$/.test(id)) continue;
      const queue = await this.db.transaction(async (tx) => {
        const row = await findFailedJob(tx, id);
        const payload = row && parsePayload(row.payload);
        if (!row || !payload || !(await deleteFailedJob(tx, id))) return null;
        const now = Date.now();
        const jobId = await insertJob(tx, { queue: row.queue, payload, delayMs: 0 }, now);
        if (payload.kind === 'replay') {
          const { correlationId, queuedAt } = payload;
          await requeueStatus(tx, { correlationId, queue: row.queue, jobId, queuedAt }, now);
        }
        return row.queue;
      });
      if (queue === null) continue;
      moved++;
      this.stored.emit('job', queue);
    }
    return moved;
  }

  /** Every failed job of `queue`, its callback lane's included (`retryFailed` on each). */
  async retryAllFailed(queue: string): Promise<number> {
    return this.retryFailed(await failedJobIds(this.db, withLanes([queue])));
  }

  async forgetFailed(id: string): Promise<boolean> {
    return /^\d+$/.test(id) && deleteFailedJob(this.db, id);
  }

  async flushFailed(olderThanMs: number): Promise<number> {
    return deleteFailedJobs(this.db, olderThanMs > 0 ? Date.now() - olderThanMs : null);
  }

  async signalRestart(): Promise<void> {
    await setSignal(this.db, 'restart', Date.now());
  }

  async lastRestart(): Promise<number | null> {
    return getSignal(this.db, 'restart');
  }

  async ping(): Promise<void> {
    await this.fast(() => this.db.run('SELECT 1'));
  }

  /** Closes the store; consumers still running stop at once (their jobs are left to the lease). */
  async close(): Promise<void> {
    for (const [source, loop] of this.consumers) {
      source.close();
      void loop.stop(0);
    }
    this.consumers.clear();
    this.stored.removeAllListeners();
    await this.listener?.close();
    this.listener = undefined;
    await this.deletes?.counts.flush(); // what this process counted, before the connection goes
    this.deletes?.counts.close();
    const dataSource = this.dataSource;
    if (this.sql instanceof SqliteSqlClient) this.sql.dispose();
    this.sql = undefined;
    this.dataSource = undefined;
    if (dataSource && !this.options.dataSource && dataSource.isInitialized) await dataSource.destroy();
  }
}

/** A failed job's payload without the `attempts` it was stored with, or null when unreadable. */
function parsePayload(text: string): NewJob['payload'] | null {
  try {
    // A retried job starts afresh: no attempts, no lost leases counted.
    const { attempts: _attempts, leaseLosses: _leaseLosses, ...payload } = JSON.parse(text) as Record<string, unknown>;
    return isJobPayload(payload) ? payload : null;
  } catch {
    return null;
  }
}

function toFailedJob(row: FailedRow): FailedJob {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(row.payload) as Record<string, unknown>;
  } catch {
    // listed with what the row says; the payload itself is unreadable
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    id: row.id,
    queue: baseQueue(row.queue), // a callback lane is part of its queue
    kind: parsed.kind === 'callback' ? 'callback' : 'replay',
    correlationId: text(parsed.correlationId),
    method: text(parsed.method),
    path: text(parsed.path),
    error: row.exception,
    failedAt: new Date(row.failedAt),
    attempts: typeof parsed.attempts === 'number' ? parsed.attempts : 0,
  };
}
