import type Bull from 'bull';
import type { Redis } from 'ioredis';
import { baseQueue } from '../../core/callback-lane.js';
import type { JobPayload } from '../../core/job.js';
import {
  JOB_STATES,
  type JobFilter,
  type JobState,
  type JobSummary,
  type QueueStats,
} from '../../core/request-status.js';
import { isJobPayload } from '../job-payload.js';

/** The id `listFailed`/`retryFailed`/`forgetFailed` know a failed job by: queue and Bull id. */
export function failedId(queue: string, job: Bull.Job): string {
  return `${queue}:${job.id}`;
}

/**
 * The operator's view of the Redis driver's jobs (`request-queue list` and `stats`), read
 * from Bull's lists and sets. A callback lane is shown as part of its queue.
 */
export class RedisJobListing {
  constructor(
    private readonly queue: (name: string) => Bull.Queue<JobPayload>,
    private readonly api: () => Redis,
    private readonly prefix: string,
  ) {}

  /** Up to `filter.limit` jobs of the queues `names` (`filter.queue` already resolved to them). */
  async list(names: readonly string[], filter: JobFilter): Promise<JobSummary[]> {
    const states = filter.state ? [filter.state] : JOB_STATES;
    const all: JobSummary[] = [];
    for (const state of states) {
      const found: Listed[] = [];
      for (const name of names) found.push(...(await this.jobsIn(name, state, filter.limit)));
      all.push(...found.sort(state === 'failed' ? newestFirst : oldestFirst).map((l) => l.summary));
      if (all.length >= filter.limit) break;
    }
    return all.slice(0, filter.limit);
  }

  /** Counts per queue of `names`; a callback lane's counts are added to its queue's. */
  async stats(names: readonly string[]): Promise<QueueStats[]> {
    const all = new Map<string, QueueStats>();
    for (const name of names) {
      const counts = (await this.queue(name).getJobCounts()) as Bull.JobCounts & { paused?: number };
      const queue = baseQueue(name);
      const row = all.get(queue) ?? { queue, waiting: 0, delayed: 0, running: 0, failed: 0 };
      row.waiting += counts.waiting + (counts.paused ?? 0);
      row.delayed += counts.delayed;
      row.running += counts.active;
      row.failed += counts.failed;
      all.set(queue, row);
    }
    return [...all.values()]
      .filter((row) => row.waiting + row.delayed + row.running + row.failed > 0)
      .sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
  }

  /**
   * Up to `limit` jobs of one queue in one state, in the order `list` wants (Bull keeps
   * lists in arrival order and the failed set by time of failure). Delayed jobs are all
   * read: their set is ordered by when they may run, not by when they were stored, and
   * their `availableAt` is their score there (a retry's new time is not in the job hash).
   */
  private async jobsIn(name: string, state: JobState, limit: number): Promise<Listed[]> {
    const queue = this.queue(name);
    if (state === 'delayed') {
      const scores = await this.api().zrange(`${this.prefix}:${name}:delayed`, 0, -1, 'WITHSCORES');
      const at = new Map<string, number>();
      for (let i = 0; i < scores.length; i += 2) at.set(scores[i]!, Math.floor(Number(scores[i + 1]) / 0x1000));
      const jobs = await Promise.all([...at.keys()].map((id) => queue.getJob(id)));
      return jobs.flatMap((job) => summary(name, state, job, at.get(String(job?.id))));
    }
    const types: Bull.JobStatus[] =
      state === 'waiting' ? ['waiting', 'paused'] : state === 'running' ? ['active'] : ['failed'];
    const jobs = await queue.getJobs(types, 0, limit - 1, state !== 'failed');
    return jobs.flatMap((job) => summary(name, state, job));
  }
}

/**
 * One Bull job as `listJobs` shows it, or nothing for a job gone meanwhile or not the
 * library's. `delayedUntil` is when a delayed job may run (from the delayed set).
 */
function summary(queue: string, state: JobState, job: Bull.Job | null, delayedUntil?: number): Listed[] {
  if (!job || !isJobPayload(job.data)) return [];
  const { kind, correlationId, method, path } = job.data;
  const item: JobSummary = {
    id: state === 'failed' ? failedId(queue, job) : String(job.id),
    queue: baseQueue(queue), // a callback lane is part of its queue
    state,
    kind,
    correlationId,
    method,
    path,
    attempts: job.attemptsMade + (state === 'running' ? 1 : 0),
    createdAt: job.timestamp,
  };
  if (state === 'waiting') item.availableAt = job.timestamp;
  if (state === 'delayed') item.availableAt = delayedUntil ?? job.timestamp + (job.opts.delay ?? 0);
  if (state === 'failed') item.error = job.failedReason ?? '';
  return [{ summary: item, at: state === 'failed' ? (job.finishedOn ?? job.timestamp) : job.timestamp }];
}

/** A listed job with the time it is sorted by: stored (waiting, delayed, running) or failed. */
interface Listed {
  summary: JobSummary;
  at: number;
}

function oldestFirst(a: Listed, b: Listed): number {
  return a.at - b.at || compareIds(a.summary.id, b.summary.id);
}

/** Failed jobs by time of failure, newest first (as `listFailed`). */
function newestFirst(a: Listed, b: Listed): number {
  return b.at - a.at || compareIds(b.summary.id, a.summary.id);
}

/** Bull ids are counters: `"9"` before `"10"`. */
function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
