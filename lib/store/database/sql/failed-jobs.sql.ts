import { columnText } from './column-text.js';
import { randomUUID } from 'node:crypto';
import type { JobPayload } from '../../../core/job.js';
import type { SqlExecutor } from '../sql-client.js';

/**
 * A `failed_jobs` row. As in Laravel, `payload` is the job's payload (JobPayload JSON, so
 * its stage `kind` and `correlationId` are in there) plus the attempts it had; `exception`
 * holds the error.
 */
export interface FailedRow {
  id: string;
  queue: string;
  payload: string;
  exception: string;
  failedAt: number;
}

/** The `payload` column of a failed job: the job's payload plus the attempts it had. */
export function failedPayload(payload: JobPayload, attempts: number): string {
  return JSON.stringify({ ...payload, attempts });
}

/**
 * Records a failed job; `payload` is `failedPayload(…)` (or, for a job that could not be
 * read, its raw text). `connection` is the driver name, as Laravel's queue connection.
 */
export async function insertFailedJob(
  db: SqlExecutor,
  queue: string,
  payload: string,
  error: string,
  now: number,
): Promise<void> {
  await db.run(
    'INSERT INTO failed_jobs (uuid, connection, queue, payload, exception, failed_at) VALUES (?, ?, ?, ?, ?, ?)',
    [randomUUID(), 'database', queue, payload, error, now],
  );
}

/** Every failed job, newest first. */
export async function listFailedJobs(db: SqlExecutor): Promise<FailedRow[]> {
  const { rows } = await db.run(
    'SELECT id, queue, payload, exception, failed_at FROM failed_jobs ORDER BY failed_at DESC, id DESC',
  );
  return rows.map(toFailedRow);
}

/** The ids of the failed jobs stored on these queues, oldest first. */
export async function failedJobIds(db: SqlExecutor, queues: readonly string[]): Promise<string[]> {
  if (queues.length === 0) return [];
  const { rows } = await db.run(
    `SELECT id FROM failed_jobs WHERE queue IN (${queues.map(() => '?').join(', ')}) ORDER BY id`,
    queues,
  );
  return rows.map((row) => String(row.id));
}

/** One failed job, or null. */
export async function findFailedJob(db: SqlExecutor, id: string): Promise<FailedRow | null> {
  const { rows } = await db.run('SELECT id, queue, payload, exception, failed_at FROM failed_jobs WHERE id = ?', [id]);
  return rows[0] ? toFailedRow(rows[0]) : null;
}

/** Deletes one failed job; false when there was none. */
export async function deleteFailedJob(db: SqlExecutor, id: string): Promise<boolean> {
  const { affected } = await db.run('DELETE FROM failed_jobs WHERE id = ?', [id]);
  return affected === 1;
}

/** Deletes failed jobs that failed before `before` (unix ms), or all when null; resolves to how many. */
export async function deleteFailedJobs(db: SqlExecutor, before: number | null): Promise<number> {
  const { affected } =
    before === null
      ? await db.run('DELETE FROM failed_jobs')
      : await db.run('DELETE FROM failed_jobs WHERE failed_at < ?', [before]);
  return affected;
}

function toFailedRow(row: Record<string, unknown>): FailedRow {
  return {
    id: String(row.id),
    queue: String(row.queue),
    payload: String(row.payload),
    exception: columnText(row.exception ?? ''),
    failedAt: Number(row.failed_at),
  };
}
