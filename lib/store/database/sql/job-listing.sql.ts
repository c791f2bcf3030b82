import { columnText } from './column-text.js';
import { baseQueue, withLanes } from '../../../core/callback-lane.js';
import type { JobFilter, JobState, JobSummary, QueueStats } from '../../../core/request-status.js';
import type { SqlExecutor } from '../sql-client.js';

/*
 * What operators see of stored jobs (`request-queue list` and `stats`). A job row's state
 * follows from its columns: reserved → running, not yet available → delayed, else waiting.
 * Failed jobs are the `failed_jobs` rows. Payloads are parsed for their plain fields only;
 * `sealed` is never copied out. A queue's callback lane is shown as part of its queue: a
 * filter on a queue covers its lane, and jobs and counts name the queue users know.
 */
const JOB_STATE: Record<Exclude<JobState, 'failed'>, string> = {
  waiting: 'reserved_at IS NULL AND available_at <= ?',
  delayed: 'reserved_at IS NULL AND available_at > ?',
  running: 'reserved_at IS NOT NULL',
};
/** Oldest first: in the order the jobs run (waiting, delayed) or were taken (running). */
const JOB_ORDER: Record<Exclude<JobState, 'failed'>, string> = {
  waiting: 'available_at, id',
  delayed: 'available_at, id',
  running: 'reserved_at, id',
};
const LISTED_STATES: readonly JobState[] = ['waiting', 'delayed', 'running', 'failed'];

/** Jobs matching `filter`, state by state (waiting, delayed, running, failed), at most `filter.limit` in all. */
export async function listJobSummaries(db: SqlExecutor, filter: JobFilter, now: number): Promise<JobSummary[]> {
  const found: JobSummary[] = [];
  for (const state of filter.state ? [filter.state] : LISTED_STATES) {
    const limit = filter.limit - found.length;
    if (limit <= 0) break;
    found.push(
      ...(state === 'failed'
        ? await listFailed(db, filter.queue, limit)
        : await listJobs(db, state, filter.queue, limit, now)),
    );
  }
  return found;
}

async function listJobs(
  db: SqlExecutor,
  state: Exclude<JobState, 'failed'>,
  queue: string | undefined,
  limit: number,
  now: number,
): Promise<JobSummary[]> {
  const params: unknown[] = state === 'running' ? [] : [now];
  let where = JOB_STATE[state];
  if (queue !== undefined) {
    where = `queue IN (?, ?) AND ${where}`;
    params.unshift(...withLanes([queue]));
  }
  const { rows } = await db.run(
    `SELECT id, queue, payload, attempts, available_at, created_at FROM jobs WHERE ${where} ORDER BY ${JOB_ORDER[state]} LIMIT ?`,
    [...params, limit],
  );
  return rows.map((row) => {
    const summary = summarize(row, state, Number(row.attempts), Number(row.created_at));
    if (state !== 'running') summary.availableAt = Number(row.available_at);
    return summary;
  });
}

/** Newest first, as `listFailed`; `id` is the failed job's id (what `retry`/`forget` take). */
async function listFailed(db: SqlExecutor, queue: string | undefined, limit: number): Promise<JobSummary[]> {
  const where = queue !== undefined ? 'WHERE queue IN (?, ?) ' : '';
  const { rows } = await db.run(
    `SELECT id, queue, payload, exception, failed_at FROM failed_jobs ${where}ORDER BY failed_at DESC, id DESC LIMIT ?`,
    queue !== undefined ? [...withLanes([queue]), limit] : [limit],
  );
  return rows.map((row) => {
    const summary = summarize(row, 'failed', undefined, Number(row.failed_at));
    summary.error = columnText(row.exception ?? '');
    return summary;
  });
}

/** The plain fields of a row's payload; attempts from the row, or (failed jobs) from the payload. */
function summarize(
  row: Record<string, unknown>,
  state: JobState,
  attempts: number | undefined,
  createdAt: number,
): JobSummary {
  let payload: Record<string, unknown> = {};
  try {
    payload = JSON.parse(String(row.payload)) as Record<string, unknown>;
  } catch {
    // listed with what the row says; the payload itself is unreadable
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    id: String(row.id),
    queue: baseQueue(String(row.queue)),
    state,
    kind: payload.kind === 'callback' ? 'callback' : 'replay',
    correlationId: text(payload.correlationId),
    method: text(payload.method),
    path: text(payload.path),
    attempts: attempts ?? (typeof payload.attempts === 'number' ? payload.attempts : 0),
    createdAt,
  };
}

/**
 * Job counts per queue and state, for every queue with a job or a failed job, by queue
 * name: one GROUP BY over each table. The aliases avoid `delayed`, a reserved word on MySQL.
 */
export async function queueStats(db: SqlExecutor, now: number): Promise<QueueStats[]> {
  const jobs = await db.run(
    'SELECT queue, ' +
      'SUM(CASE WHEN reserved_at IS NULL AND available_at <= ? THEN 1 ELSE 0 END) AS waiting_count, ' +
      'SUM(CASE WHEN reserved_at IS NULL AND available_at > ? THEN 1 ELSE 0 END) AS delayed_count, ' +
      'SUM(CASE WHEN reserved_at IS NOT NULL THEN 1 ELSE 0 END) AS running_count ' +
      'FROM jobs GROUP BY queue',
    [now, now],
  );
  const failed = await db.run('SELECT queue, COUNT(*) AS failed_count FROM failed_jobs GROUP BY queue');
  const stats = new Map<string, QueueStats>();
  const of = (queue: string) => {
    let entry = stats.get(queue);
    if (!entry) stats.set(queue, (entry = { queue, waiting: 0, delayed: 0, running: 0, failed: 0 }));
    return entry;
  };
  for (const row of jobs.rows) {
    const entry = of(baseQueue(String(row.queue))); // a lane's counts are its queue's
    entry.waiting += Number(row.waiting_count);
    entry.delayed += Number(row.delayed_count);
    entry.running += Number(row.running_count);
  }
  for (const row of failed.rows) of(baseQueue(String(row.queue))).failed += Number(row.failed_count);
  return [...stats.values()].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
}
