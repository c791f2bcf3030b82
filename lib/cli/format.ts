import type { FailedJob } from '../core/job.js';
import {
  FINAL_STATES,
  type JobSummary as StoredJob,
  type QueueStats,
  type StatusRecord,
  type TimelineEntry,
} from '../core/request-status.js';
import type { StatusView } from '../core/status-view.js';
import { formatDuration, type JobSummary } from '../worker/job-report.js';

/** `2026-11-21 19:30:01` in local time, as Laravel's `queue:work` prints it. */
export function localTimestamp(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())} ${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`;
}

const LINE_WIDTH = 110;

/**
 * One line per job, like `queue:work`:
 * `2026-11-21 19:30:01 3f2a… PATCH /user/1 ........ 23.4ms DONE`, and for a failure the
 * reason and what happens next after `FAIL`.
 */
export function formatJobLine(job: JobSummary, at: Date): string {
  const left = `${localTimestamp(at)} ${job.correlationId} ${job.request} `;
  const right = ` ${formatDuration(job.durationMs)} ${job.status}`;
  const dots = '.'.repeat(Math.max(3, LINE_WIDTH - left.length - right.length));
  return `${left}${dots}${right}${job.detail ? ` ${job.detail}` : ''}`;
}

/** What `failed --json` prints per job: everything an operator needs, never a secret. */
export interface FailedJobRow {
  id: string;
  queue: string;
  /** `replay`: the request never got a final answer. `callback`: its outcome could not be delivered. */
  stage: FailedJob['kind'];
  method: string;
  path: string;
  correlationId: string;
  error: string;
  failedAt: string;
  attempts: number;
}

export function failedJobRow(job: FailedJob): FailedJobRow {
  return {
    id: job.id,
    queue: job.queue,
    stage: job.kind,
    method: job.method,
    path: job.path,
    correlationId: job.correlationId,
    error: job.error,
    failedAt: job.failedAt.toISOString(),
    attempts: job.attempts,
  };
}

const ERROR_WIDTH = 60;

/** The `failed` table. */
export function formatFailedTable(jobs: readonly FailedJob[]): string {
  const header = ['ID', 'Queue', 'Stage', 'Request', 'Correlation ID', 'Failed at', 'Error'];
  const rows = jobs.map((j) => [
    j.id,
    j.queue,
    j.kind,
    `${j.method} ${j.path}`,
    j.correlationId,
    localTimestamp(j.failedAt),
    truncate(oneLine(failedError(j.error)), ERROR_WIDTH),
  ]);
  return formatTable(header, rows);
}

/**
 * A failed job's error as the table says it. Jobs failed for lost leases say "worker died N
 * times while running it" (their outcome's error); ones failed before that (by Bull's
 * stalled check, or by the database driver's reservation limit, without a callback) are
 * told the same way.
 */
export function failedError(error: string): string {
  if (error === 'job stalled more than allowable limit') return 'worker died while running it (stalled too often)';
  const reserved = /^reserved (\d+) times without a result/.exec(error);
  if (reserved) return `worker died while running it (reserved ${reserved[1]} times without a result)`;
  return error;
}

export interface TableOptions {
  /** A last row (a total), set off from the others by a rule. */
  footer?: readonly string[];
  /** Columns (by index) whose cells are aligned right, such as counts. */
  alignRight?: readonly number[];
}

export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const all = options.footer ? [...rows, options.footer] : rows;
  const widths = header.map((h, i) => Math.max(h.length, ...all.map((r) => r[i]!.length)));
  const right = new Set(options.alignRight);
  const cell = (c: string, i: number) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!));
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const head = `| ${header.map((h, i) => h.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const footer = options.footer ? [line(options.footer), rule] : [];
  return [rule, head, rule, ...rows.map(line), rule, ...footer].join('\n');
}

/**
 * What `status <correlation-id>` shows: the client's view of the status record (what `GET`
 * on the status resource answers) plus where its job is. Of the outcome, only what is no
 * secret: the response's headers and body are for the client alone.
 */
export interface StatusRow {
  correlationId: string;
  status: StatusView['status'];
  attempts: number;
  queuedAt: string;
  updatedAt: string;
  nextAttemptAt?: string;
  queue: string;
  jobId: string;
  result?: {
    correlationId: string;
    status: 'completed' | 'failed';
    attempts: number;
    error?: string;
    /** Only the status code; null when the replay got no answer (timeout, connection error). */
    response: { status: number } | null;
  };
  /** The request's steps, oldest first (`TimelineEntry`, ISO times); absent when the store kept none. */
  timeline?: (Omit<TimelineEntry, 'at'> & { at: string })[];
}

/** The operator's row of a status record, from the client's view of it (`toStatusView`). */
export function statusRow(record: StatusRecord, view: StatusView): StatusRow {
  const row: StatusRow = {
    correlationId: view.correlationId,
    status: view.status,
    attempts: view.attempts,
    queuedAt: view.queuedAt,
    updatedAt: view.updatedAt,
    ...(view.nextAttemptAt === undefined ? {} : { nextAttemptAt: view.nextAttemptAt }),
    queue: record.queue,
    jobId: record.jobId,
  };
  const r = view.result;
  if (r) {
    row.result = {
      correlationId: r.correlationId,
      status: r.status,
      attempts: r.attempts,
      ...(r.error === undefined ? {} : { error: r.error }),
      response: r.response ? { status: r.response.status } : null,
    };
  }
  if (record.timeline?.length) {
    row.timeline = record.timeline.map((e) => ({ ...e, at: new Date(e.at).toISOString() }));
  }
  return row;
}

/**
 * `status` for people: aligned `Key: value` lines, local times. `record` tells a final
 * outcome that cannot be opened here (another secret) from one never recorded.
 */
export function formatStatus(row: StatusRow, record: StatusRecord): string {
  const lines: [string, string][] = [
    ['Correlation ID', row.correlationId],
    ['Status', row.status],
    ['Attempts', String(row.attempts)],
    ['Queue', row.queue],
    ['Job ID', row.jobId],
    ['Queued at', localTimestamp(new Date(row.queuedAt))],
    ['Updated at', localTimestamp(new Date(row.updatedAt))],
  ];
  if (row.nextAttemptAt !== undefined) lines.push(['Next attempt at', localTimestamp(new Date(row.nextAttemptAt))]);
  const r = row.result;
  if (r) {
    lines.push(['Result', `${r.status} after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`]);
    if (r.error !== undefined) lines.push(['Error', oneLine(r.error)]);
    lines.push(['Response status', r.response ? String(r.response.status) : 'none (no answer from the app)']);
    lines.push(['Response', 'headers and body are shown only to the client (status resource or callback)']);
  } else if (FINAL_STATES.has(record.state)) {
    lines.push([
      'Result',
      record.result === undefined
        ? 'not recorded'
        : 'sealed with a secret this configuration does not have; it cannot be opened here',
    ]);
  }
  const width = Math.max(...lines.map(([k]) => k.length)) + 1;
  const text = lines.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n');
  return row.timeline?.length ? `${text}\n\nTimeline:\n${formatTimeline(row.timeline)}` : text;
}

/**
 * A request's timeline, a line per entry in aligned columns: local time, the step
 * (`queued`, `attempt 2`, `callback 1`), the status code answered (`-` for none), how long
 * it took, and why it failed.
 */
export function formatTimeline(entries: NonNullable<StatusRow['timeline']>): string {
  const rows = entries.map((e) => [
    localTimestamp(new Date(e.at)),
    e.kind === 'queued' ? 'queued' : `${e.kind} ${e.attempt ?? '?'}`,
    e.kind === 'queued' ? '' : e.status === undefined ? '-' : String(e.status),
    e.durationMs === undefined ? '' : formatDuration(e.durationMs),
    e.error === undefined ? '' : truncate(oneLine(e.error), ERROR_WIDTH * 2),
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd()).join('\n');
}

/** What `list --json` prints per job: its plain fields, never its sealed part. */
export interface JobRow {
  id: string;
  queue: string;
  state: StoredJob['state'];
  /** `replay` or `callback`, as in `failed`. */
  stage: StoredJob['kind'];
  method: string;
  path: string;
  correlationId: string;
  attempts: number;
  createdAt: string;
  /** When a waiting or delayed job may run. */
  availableAt?: string;
  /** Why a failed job failed. */
  error?: string;
}

export function jobRow(job: StoredJob): JobRow {
  return {
    id: job.id,
    queue: job.queue,
    state: job.state,
    stage: job.kind,
    method: job.method,
    path: job.path,
    correlationId: job.correlationId,
    attempts: job.attempts,
    createdAt: new Date(job.createdAt).toISOString(),
    ...(job.availableAt === undefined ? {} : { availableAt: new Date(job.availableAt).toISOString() }),
    ...(job.error === undefined ? {} : { error: job.error }),
  };
}

/** The `list` table. The last column is when a waiting or delayed job may run, or why a failed one failed. */
export function formatJobsTable(jobs: readonly StoredJob[]): string {
  const header = [
    'ID',
    'Queue',
    'State',
    'Stage',
    'Request',
    'Correlation ID',
    'Attempts',
    'Created',
    'Available/Error',
  ];
  const rows = jobs.map((j) => [
    j.id,
    j.queue,
    j.state,
    j.kind,
    `${j.method} ${j.path}`,
    j.correlationId,
    String(j.attempts),
    localTimestamp(new Date(j.createdAt)),
    lastColumn(j),
  ]);
  return formatTable(header, rows, { alignRight: [6] });
}

function lastColumn(job: StoredJob): string {
  if (job.state === 'failed') return job.error === undefined ? '' : truncate(oneLine(job.error), ERROR_WIDTH);
  if ((job.state === 'waiting' || job.state === 'delayed') && job.availableAt !== undefined) {
    return localTimestamp(new Date(job.availableAt));
  }
  return '';
}

type Counts = Omit<QueueStats, 'queue'>;

/** What `stats --json` prints: each queue's counts (by name) and their sum. */
export interface StatsReport {
  queues: QueueStats[];
  total: Counts;
}

export function statsReport(stats: readonly QueueStats[]): StatsReport {
  const queues = [...stats]
    .sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0))
    .map((s) => ({ queue: s.queue, waiting: s.waiting, delayed: s.delayed, running: s.running, failed: s.failed }));
  const total: Counts = { waiting: 0, delayed: 0, running: 0, failed: 0 };
  for (const s of queues) {
    total.waiting += s.waiting;
    total.delayed += s.delayed;
    total.running += s.running;
    total.failed += s.failed;
  }
  return { queues, total };
}

/** The `stats` table, with a total row. */
export function formatStatsTable(report: StatsReport): string {
  const cells = (name: string, c: Counts) => [
    name,
    String(c.waiting),
    String(c.delayed),
    String(c.running),
    String(c.failed),
  ];
  return formatTable(
    ['Queue', 'Waiting', 'Delayed', 'Running', 'Failed'],
    report.queues.map((q) => cells(q.queue, q)),
    { footer: cells('Total', report.total), alignRight: [1, 2, 3, 4] },
  );
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
