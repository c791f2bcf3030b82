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

/** One reserved replay job: its request, its id, its reservation (the job's `attempts`). */
export interface RunningJob {
  correlationId: string;
  jobId: string;
  attempts: number;
}

/** The job will run again at `nextAttemptAt` (a `retry` result) after `attempts` attempts; `entry` is the last one's. */
export async function markRetrying(
  db: SqlExecutor,
  correlationId: string,
  jobId: string,
  attempts: number,
  nextAttemptAt: number,
  now: number,
  entry: TimelineEntry,
): Promise<void> {
  await db.run(
    "UPDATE request_queue_requests SET state = 'retrying', attempts = ?, next_attempt_at = ?, updated_at = ?, " +
      `${appendTimelineSql(db.dialect, '?')} WHERE correlation_id = ? AND job_id = ? AND expires_at IS NULL`,
    [attempts, nextAttemptAt, now, storedLine(entry), correlationId, jobId],
  );
}

/**
 * The request is final after `attempts` attempts: `result` (sealed, or null) stays readable
 * until `now + keepMs`; `entry` is its last attempt's.
 */
export async function markFinal(
  db: SqlExecutor,
  correlationId: string,
  jobId: string,
  attempts: number,
  state: 'completed' | 'failed',
  result: string | null,
  keepMs: number,
  now: number,
  entry: TimelineEntry,
): Promise<void> {
  await db.run(
    'UPDATE request_queue_requests SET state = ?, attempts = ?, result = ?, expires_at = ?, next_attempt_at = NULL, ' +
      `updated_at = ?, ${appendTimelineSql(db.dialect, '?')} WHERE correlation_id = ? AND job_id = ? AND expires_at IS NULL`,
    [state, attempts, result, now + Math.max(0, keepMs), now, storedLine(entry), correlationId, jobId],
  );
}

/** One replay job's final record, as `markFinal` writes it. */
export interface FinalRecord {
  correlationId: string;
  jobId: string;
  /** The job's queue (where it is counted in the throughput). */
  queue: string;
  /** Attempts made (the record's `attempts`). */
  attempts: number;
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
    return markFinal(db, r.correlationId, r.jobId, r.attempts, state, r.result, r.expiresAt - now, now, r.entry);
  }
  // PostgreSQL types a CASE of bare parameters as text; expires_at is a bigint, attempts an integer.
  const expiry = db.dialect === 'postgres' ? 'CAST(? AS BIGINT)' : '?';
  const count = db.dialect === 'postgres' ? 'CAST(? AS INTEGER)' : '?';
  const when = (value: string) => records.map(() => `WHEN correlation_id = ? AND job_id = ? THEN ${value}`).join(' ');
  const ids = records.map(() => '?').join(', ');
  const guards = records.map(() => '(correlation_id = ? AND job_id = ?)').join(' OR ');
  await db.run(
    `UPDATE request_queue_requests SET state = ?, attempts = CASE ${when(count)} END, result = CASE ${when('?')} END, ` +
      `expires_at = CASE ${when(expiry)} END, next_attempt_at = NULL, updated_at = ?, ` +
      `${appendTimelineSql(db.dialect, `CASE ${when('?')} END`)} ` +
      `WHERE correlation_id IN (${ids}) AND expires_at IS NULL AND (${guards})`,
    [
      state,
      ...records.flatMap((r) => [r.correlationId, r.jobId, r.attempts]),
      ...records.flatMap((r) => [r.correlationId, r.jobId, r.result]),
      ...records.flatMap((r) => [r.correlationId, r.jobId, r.expiresAt]),
      now,
      ...records.flatMap((r) => [r.correlationId, r.jobId, storedLine(r.entry)]),
      ...records.map((r) => r.correlationId),
      ...records.flatMap((r) => [r.correlationId, r.jobId]),
    ],
  );
}

/**
 * The record of `correlationId`, or null when there is none or it expired (even if not yet
 * pruned). `running` is not written: a `queued` or `retrying` record whose job a worker has
 * reserved (`reserved_at` set, until its result or a release) reads as `running`, with the
 * job's reservation count as its attempt and the reservation's time (renewed while it runs).
 * When no worker holds it, the record is read again: the transaction that ended the job
 * (and wrote the record) may have come between the two reads.
 */
export async function readStatusRecord(
  db: SqlExecutor,
  correlationId: string,
  now: number,
): Promise<StatusRecord | null> {
  const record = await readStoredRecord(db, correlationId, now);
  if (record?.state !== 'queued' && record?.state !== 'retrying') return record;
  const { rows } = await db.run('SELECT reserved_at, attempts FROM jobs WHERE id = ? AND queue = ?', [
    record.jobId,
    record.queue,
  ]);
  const job = rows[0];
  if (!job || job.reserved_at === null || job.reserved_at === undefined) {
    return readStoredRecord(db, correlationId, now);
  }
  const { nextAttemptAt: _next, ...rest } = record;
  return { ...rest, state: 'running', attempts: Number(job.attempts), updatedAt: Number(job.reserved_at) };
}

/** The record of `correlationId` as stored. */
async function readStoredRecord(db: SqlExecutor, correlationId: string, now: number): Promise<StatusRecord | null> {
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
