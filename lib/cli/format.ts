import type { FailedJob } from '../core/job.js';
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
    truncate(oneLine(j.error), ERROR_WIDTH),
  ]);
  return formatTable(header, rows);
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return [rule, line(header), rule, ...rows.map(line), rule].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
