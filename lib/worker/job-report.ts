import type { ReservedJob } from '../core/job.js';
import type { JobReport } from './worker.js';

/** One job, as the `work` command and the Nest logger describe it. */
export interface JobSummary {
  correlationId: string;
  /** `PATCH /user/1`, or `PATCH /user/1 (callback)` for a callback delivery. */
  request: string;
  status: 'DONE' | 'FAIL';
  /** Why it failed, and what happens next (`retry in 2s`, `to failed jobs`). */
  detail?: string;
  durationMs: number;
}

export function summarizeJob({ job, result, durationMs }: JobReport): JobSummary {
  const p = job.payload;
  const request = `${p.method} ${p.path}${p.kind === 'callback' ? ' (callback)' : ''}`;
  const base = { correlationId: p.correlationId, request, durationMs };
  if (result.type === 'complete') return { ...base, status: 'DONE' };
  const next =
    result.type === 'retry'
      ? `attempt ${job.attempt} of ${p.tries}, retry in ${formatDuration(result.delayMs)}`
      : 'moved to failed jobs';
  return { ...base, status: 'FAIL', detail: `${result.error} (${next})` };
}

/** `812ms`, `1.52s`, `3m 20s`, `2h 5m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms * 100) / 100}ms`;
  if (ms < 60_000) return `${Math.round(ms / 10) / 100}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/**
 * The warning for a job a dead worker held (`WorkerHooks.onRecovered`): `PATCH /user/1
 * (<id>): a worker died 2 times while running it; running it alone`.
 */
export function describeRecovery(job: ReservedJob): string {
  const p = job.payload;
  const times = job.leaseLosses ?? 0;
  const what = `${p.method} ${p.path}${p.kind === 'callback' ? ' (callback)' : ''} (${p.correlationId})`;
  const next = job.leasesExhausted
    ? 'giving up: it fails with a failure outcome'
    : 'running it alone (nothing else in hand)';
  return `${what}: a worker died ${times} time${times === 1 ? '' : 's'} while running it; ${next}`;
}
