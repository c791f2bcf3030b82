import type { FailedJob } from '../core/job.js';
import type { QueueStats, StatusRecord, ThroughputPoint, TimelineEntry } from '../core/request-status.js';
import type { RequestQueueStore } from '../store/request-queue.store.js';

/**
 * The dashboard's JSON API, as plain functions over the store: what the page reads and the
 * three actions it takes. Every answer is built field by field from plain job data, so a
 * sealed part (headers, body, callback token, the replay's answer) can never reach it.
 */

/** An answer of the API: a status code and a JSON body. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** The window the chart covers. */
export const CHART_WINDOW_MS = 60 * 60 * 1000;
/** Failed jobs the page lists at most (the count says how many there are). */
export const FAILED_LIMIT = 200;

const ok = (body: unknown): ApiAnswer => ({ status: 200, body });
const problem = (status: number, message: string): ApiAnswer => ({
  status,
  body: { statusCode: status, error: status === 404 ? 'Not Found' : 'Bad Request', message },
});

/** Ids, queue names and correlation ids the API accepts: printable, no control characters, bounded. */
const PLAIN = /^[\x21-\x7e]{1,255}$/;

/** `GET <path>/api/overview`: job counts per queue and state, and the last hour's work per minute. */
export async function overview(store: RequestQueueStore, now = Date.now()): Promise<ApiAnswer> {
  const stats: QueueStats[] = await store.stats();
  const queues = stats.map((s) => ({
    queue: s.queue,
    waiting: s.waiting,
    delayed: s.delayed,
    running: s.running,
    failed: s.failed,
  }));
  const throughput: ThroughputPoint[] = (await store.throughput(now - CHART_WINDOW_MS)).map((p) => ({
    at: p.at,
    queue: p.queue,
    completed: p.completed,
    failed: p.failed,
    waitMs: p.waitMs,
    waited: p.waited,
  }));
  return ok({ now, windowMs: CHART_WINDOW_MS, queues, throughput });
}

/** One failed job as the page lists it. */
export interface FailedRow {
  id: string;
  queue: string;
  stage: FailedJob['kind'];
  correlationId: string;
  method: string;
  path: string;
  error: string;
  failedAt: number;
  attempts: number;
}

/** `GET <path>/api/failed[?queue=Q]`: failed jobs, newest first, at most `FAILED_LIMIT`. */
export async function failedJobs(store: RequestQueueStore, queue: unknown): Promise<ApiAnswer> {
  if (queue !== undefined && (typeof queue !== 'string' || !PLAIN.test(queue))) {
    return problem(400, 'queue must be a queue name');
  }
  const all = (await store.listFailed()).filter((j) => queue === undefined || j.queue === queue);
  const jobs: FailedRow[] = all.slice(0, FAILED_LIMIT).map((j) => ({
    id: j.id,
    queue: j.queue,
    stage: j.kind,
    correlationId: j.correlationId,
    method: j.method,
    path: j.path,
    error: j.error,
    failedAt: j.failedAt.getTime(),
    attempts: j.attempts,
  }));
  return ok({ total: all.length, jobs });
}

/** A request as the page shows it: its status record without the sealed outcome or fingerprint. */
export type RequestView = Omit<StatusRecord, 'result' | 'fingerprint' | 'timeline'> & {
  /** Oldest first, at most the last `TIMELINE_LIMIT` steps. */
  timeline: TimelineEntry[];
};

/** `GET <path>/api/requests/:correlationId`: one request's record and timeline. */
export async function requestTimeline(store: RequestQueueStore, correlationId: unknown): Promise<ApiAnswer> {
  if (typeof correlationId !== 'string' || !PLAIN.test(correlationId)) {
    return problem(400, 'correlation id must be 1 to 255 printable characters');
  }
  const record = await store.readStatus(correlationId);
  if (!record)
    return problem(404, `no request with correlation id ${correlationId} (never queued, or kept past its time)`);
  return ok(requestView(record));
}

function requestView(record: StatusRecord): RequestView {
  return {
    correlationId: record.correlationId,
    state: record.state,
    attempts: record.attempts,
    queue: record.queue,
    jobId: record.jobId,
    queuedAt: record.queuedAt,
    updatedAt: record.updatedAt,
    ...(record.nextAttemptAt === undefined ? {} : { nextAttemptAt: record.nextAttemptAt }),
    timeline: (record.timeline ?? []).map((e) => ({
      at: e.at,
      kind: e.kind,
      ...(e.attempt === undefined ? {} : { attempt: e.attempt }),
      ...(e.status === undefined ? {} : { status: e.status }),
      ...(e.durationMs === undefined ? {} : { durationMs: e.durationMs }),
      ...(e.error === undefined ? {} : { error: e.error }),
    })),
  };
}

/** `POST <path>/api/failed/:id/retry`: puts one failed job back on its queue. */
export async function retryJob(store: RequestQueueStore, id: unknown): Promise<ApiAnswer> {
  if (typeof id !== 'string' || !PLAIN.test(id)) return problem(400, 'id must be a failed job id');
  const moved = await store.retryFailed([id]);
  return moved === 1 ? ok({ retried: 1 }) : problem(404, `no failed job with id ${id}`);
}

/** `POST <path>/api/failed/:id/forget`: removes one failed job. */
export async function forgetJob(store: RequestQueueStore, id: unknown): Promise<ApiAnswer> {
  if (typeof id !== 'string' || !PLAIN.test(id)) return problem(400, 'id must be a failed job id');
  return (await store.forgetFailed(id)) ? ok({ forgotten: 1 }) : problem(404, `no failed job with id ${id}`);
}

/** `POST <path>/api/queues/:queue/retry-all`: puts every failed job of one queue back. */
export async function retryQueue(store: RequestQueueStore, queue: unknown): Promise<ApiAnswer> {
  if (typeof queue !== 'string' || !PLAIN.test(queue)) return problem(400, 'queue must be a queue name');
  return ok({ retried: await store.retryAllFailed(queue) });
}
