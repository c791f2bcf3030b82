import { columnText } from './column-text.js';
import {
  parseTimeline,
  type RequestState,
  type StatusRecord,
  type TimelineEntry,
} from '../../../core/request-status.js';
import type { SqlExecutor } from '../sql-client.js';
import { pruneExpired } from './prune-expired.sql.js';
import { appendTimelineSql, storedLine } from './timeline.sql.js';

/**
 * The status records of queued requests (`request_queue_requests`, one row per correlation
 * id). Every write but `markRunning` runs inside the transaction that moves the request's
 * replay job, so the record and the job never disagree after a crash. Writes that follow a
 * job are guarded by `job_id`: a record that a newer request took over (its claim had
 * expired and the id was queued again) is never changed by the older job. Each write that
 * has a timeline entry (`queued`, a settled attempt) appends it in the same statement.
 */

/** What a `queued` record starts with. */
export interface QueuedStatus {
  correlationId: string;
  queue: string;
  jobId: string;
  queuedAt: number;
  nextAttemptAt?: number;
  fingerprint?: string;
}

const COLUMNS =
  'correlation_id, state, attempts, queue, job_id, queued_at, updated_at, next_attempt_at, result, fingerprint';

/**
 * Writes the `queued` record of a request just enqueued, replacing any older record of
 * that id (the claim had expired and this request took the id over), its timeline
 * starting with the `queued` entry.
 */
export function insertQueuedStatus(db: SqlExecutor, status: QueuedStatus, now: number): Promise<void> {
  return upsertQueued(db, status, now, 'replace');
}

/**
 * An operator put a failed replay job back (`retryFailed`): its record says `queued` again
 * for the new job, with no result and no expiry, keeping when it was accepted, its
 * fingerprint and its timeline (a `queued` entry added). A record already pruned is
 * written anew (without a fingerprint; its timeline starts with that entry).
 */
export function requeueStatus(db: SqlExecutor, status: QueuedStatus, now: number): Promise<void> {
  return upsertQueued(db, status, now, 'keep-origin');
}

/**
 * One upsert rather than a delete and an insert (or an update and an insert): on InnoDB,
 * deleting or updating an absent key locks the gap where it would go, and two enqueues
 * whose new ids fall in the same gap would then deadlock on their inserts.
 */
async function upsertQueued(
  db: SqlExecutor,
  status: QueuedStatus,
  now: number,
  existing: 'replace' | 'keep-origin',
): Promise<void> {
  const nextAttemptAt = status.nextAttemptAt ?? null;
  const fingerprint = status.fingerprint ?? null;
  const line = storedLine({ at: existing === 'replace' ? status.queuedAt : now, kind: 'queued' });
  let set =
    "state = 'queued', attempts = 0, queue = ?, job_id = ?, updated_at = ?, next_attempt_at = ?, " +
    'result = NULL, expires_at = NULL';
  const setParams: unknown[] = [status.queue, status.jobId, now, nextAttemptAt];
  if (existing === 'replace') {
    set += ', queued_at = ?, fingerprint = ?, timeline = ?, timeline_entries = 1';
    setParams.push(status.queuedAt, fingerprint, line);
  } else {
    set += `, ${appendTimelineSql(db.dialect, '?')}`;
    setParams.push(line);
  }
  const upsert = db.dialect === 'mysql' ? 'ON DUPLICATE KEY UPDATE' : 'ON CONFLICT (correlation_id) DO UPDATE SET';
  await db.run(
    `INSERT INTO request_queue_requests (${COLUMNS}, expires_at, timeline, timeline_entries) ` +
      `VALUES (?, 'queued', 0, ?, ?, ?, ?, ?, NULL, ?, NULL, ?, 1) ${upsert} ${set}`,
    [
      status.correlationId,
      status.queue,
      status.jobId,
      status.queuedAt,
      now,
      nextAttemptAt,
      fingerprint,
      line,
      ...setParams,
    ],
  );
}

/** One reserved replay job whose record a worker marks: its request, its id, its reservation. */
export interface RunningJob {
  correlationId: string;
  jobId: string;
  attempts: number;
}

/**
 * Workers took these jobs (each its `attempts`-th reservation) and are about to run them:
 * one statement for all the replay jobs of one reservation round trip. Not in a
 * transaction with the reservation: the caller awaits it before any handler starts, so a
 * later final write cannot be overwritten by it. Per job, the same guards as one update
 * each: the record must still name the job, a record already final is left alone, and so
 * is one a later reservation already marked (a write delayed past this one's lease).
 * Should the process die right after, the records say `running` until the jobs' lease
 * passes and another worker takes them (and writes `running` again).
 */
export async function markRunning(db: SqlExecutor, jobs: readonly RunningJob[], now: number): Promise<void> {
  if (jobs.length === 0) return;
  // PostgreSQL types a CASE of bare parameters as text; the column is an integer.
  const attempt = db.dialect === 'postgres' ? 'CAST(? AS INTEGER)' : '?';
  const cases = jobs.map(() => `WHEN correlation_id = ? AND job_id = ? THEN ${attempt}`).join(' ');
  const ids = jobs.map(() => '?').join(', ');
  const guards = jobs.map(() => '(correlation_id = ? AND job_id = ? AND attempts <= ?)').join(' OR ');
  await db.run(
    `UPDATE request_queue_requests SET state = 'running', attempts = CASE ${cases} ELSE attempts END, ` +
      `updated_at = ?, next_attempt_at = NULL WHERE correlation_id IN (${ids}) AND expires_at IS NULL AND (${guards})`,
    [
      ...jobs.flatMap((j) => [j.correlationId, j.jobId, j.attempts]),
      now,
      ...jobs.map((j) => j.correlationId),
      ...jobs.flatMap((j) => [j.correlationId, j.jobId, j.attempts]),
    ],
  );
}

/**
 * A job marked `running` was handed back before it started (`unreserveJob`, in the same
 * transaction): it is waiting again, runnable at once, and that attempt never started.
 * Only the record of that very reservation is changed (not one a later one marked, nor a
 * final one).
 */
export async function markUnstarted(db: SqlExecutor, job: RunningJob, now: number): Promise<void> {
  await db.run(
    "UPDATE request_queue_requests SET state = 'queued', attempts = attempts - 1, updated_at = ? " +
      "WHERE correlation_id = ? AND job_id = ? AND state = 'running' AND attempts = ? AND expires_at IS NULL",
    [now, job.correlationId, job.jobId, job.attempts],
  );
}

/** The job will run again at `nextAttemptAt` (a `retry` result); `entry` is the attempt's. */
export async function markRetrying(
  db: SqlExecutor,
  correlationId: string,
  jobId: string,
  nextAttemptAt: number,
  now: number,
  entry: TimelineEntry,
): Promise<void> {
  await db.run(
    "UPDATE request_queue_requests SET state = 'retrying', next_attempt_at = ?, updated_at = ?, " +
      `${appendTimelineSql(db.dialect, '?')} WHERE correlation_id = ? AND job_id = ? AND expires_at IS NULL`,
    [nextAttemptAt, now, storedLine(entry), correlationId, jobId],
  );
}

/**
 * The request is final: `result` (sealed, or null) stays readable until `now + keepMs`;
 * `entry` is its last attempt's.
 */
export async function markFinal(
  db: SqlExecutor,
  correlationId: string,
  jobId: string,
  state: 'completed' | 'failed',
  result: string | null,
  keepMs: number,
  now: number,
  entry: TimelineEntry,
): Promise<void> {
  await db.run(
    'UPDATE request_queue_requests SET state = ?, result = ?, expires_at = ?, next_attempt_at = NULL, updated_at = ?, ' +
      `${appendTimelineSql(db.dialect, '?')} WHERE correlation_id = ? AND job_id = ? AND expires_at IS NULL`,
    [state, result, now + Math.max(0, keepMs), now, storedLine(entry), correlationId, jobId],
  );
}

/** One replay job's final record, as `markFinal` writes it. */
export interface FinalRecord {
  correlationId: string;
  jobId: string;
  /** The job's queue (where it is counted in the throughput). */
  queue: string;
  result: string | null;
  /** Unix ms until which the record stays readable. */
  expiresAt: number;
  /** The last attempt's timeline entry. */
  entry: TimelineEntry;
}

/**
 * `markFinal` for several requests in one statement (in the transaction that deleted their
 * jobs), with the same guard per record: it must still name the job and not be final yet.
 */
export async function markFinalBatch(
  db: SqlExecutor,
  state: 'completed' | 'failed',
  records: readonly FinalRecord[],
  now: number,
): Promise<void> {
  if (records.length === 0) return;
  if (records.length === 1) {
    const [r] = records as [FinalRecord];
    return markFinal(db, r.correlationId, r.jobId, state, r.result, r.expiresAt - now, now, r.entry);
  }
  // PostgreSQL types a CASE of bare parameters as text; expires_at is a bigint.
  const expiry = db.dialect === 'postgres' ? 'CAST(? AS BIGINT)' : '?';
  const when = (value: string) => records.map(() => `WHEN correlation_id = ? AND job_id = ? THEN ${value}`).join(' ');
  const ids = records.map(() => '?').join(', ');
  const guards = records.map(() => '(correlation_id = ? AND job_id = ?)').join(' OR ');
  await db.run(
    `UPDATE request_queue_requests SET state = ?, result = CASE ${when('?')} END, ` +
      `expires_at = CASE ${when(expiry)} END, next_attempt_at = NULL, updated_at = ?, ` +
      `${appendTimelineSql(db.dialect, `CASE ${when('?')} END`)} ` +
      `WHERE correlation_id IN (${ids}) AND expires_at IS NULL AND (${guards})`,
    [
      state,
      ...records.flatMap((r) => [r.correlationId, r.jobId, r.result]),
      ...records.flatMap((r) => [r.correlationId, r.jobId, r.expiresAt]),
      now,
      ...records.flatMap((r) => [r.correlationId, r.jobId, storedLine(r.entry)]),
      ...records.map((r) => r.correlationId),
      ...records.flatMap((r) => [r.correlationId, r.jobId]),
    ],
  );
}

/** The record of `correlationId`, or null when there is none or it expired (even if not yet pruned). */
export async function readStatusRecord(
  db: SqlExecutor,
  correlationId: string,
  now: number,
): Promise<StatusRecord | null> {
  const { rows } = await db.run(
    `SELECT ${COLUMNS}, timeline FROM request_queue_requests WHERE correlation_id = ? AND (expires_at IS NULL OR expires_at > ?)`,
    [correlationId, now],
  );
  const row = rows[0];
  if (!row) return null;
  const record: StatusRecord = {
    correlationId: String(row.correlation_id),
    state: String(row.state) as RequestState,
    attempts: Number(row.attempts),
    queue: String(row.queue),
    jobId: String(row.job_id),
    queuedAt: Number(row.queued_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.next_attempt_at !== null && row.next_attempt_at !== undefined)
    record.nextAttemptAt = Number(row.next_attempt_at);
  if (row.result !== null && row.result !== undefined) record.result = columnText(row.result);
  if (row.fingerprint !== null && row.fingerprint !== undefined) record.fingerprint = columnText(row.fingerprint);
  const timeline = parseTimeline(row.timeline === null || row.timeline === undefined ? null : columnText(row.timeline));
  if (timeline.length > 0) record.timeline = timeline;
  return record;
}

/** Deletes up to `limit` records whose keep time has passed; resolves to how many. */
export function pruneExpiredStatus(db: SqlExecutor, now: number, limit: number): Promise<number> {
  return pruneExpired(db, 'request_queue_requests', now, limit);
}
