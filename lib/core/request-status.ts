/**
 * What a store keeps about one queued request for its status resource (README "Where is my request?"), and what
 * operators see of waiting work (README "Dashboard"). Plain data: the outcome is sealed before it gets
 * here, so a store never holds a response in clear.
 */

/** Where a queued request is, as its status resource says. */
export type RequestState = 'queued' | 'running' | 'retrying' | 'completed' | 'failed';

/** The states after which a request never runs again (unless an operator retries it). */
export const FINAL_STATES: ReadonlySet<RequestState> = new Set(['completed', 'failed']);

/**
 * The status record of one queued request, keyed by its correlation id. A store writes it
 * in the same atomic step that stores or moves the request's replay job: `queued` with the
 * job (enqueue, operator retry), `running` when a worker takes it, `retrying` with
 * `nextAttemptAt` when the worker asks for a retry, `completed`/`failed` with the sealed
 * outcome when the worker finishes it. Callback deliveries never change it.
 */
export interface StatusRecord {
  correlationId: string;
  state: RequestState;
  /** Replay attempts started so far (0 while queued for the first time). */
  attempts: number;
  /** The queue and the store's id of the replay job (for operators). */
  queue: string;
  jobId: string;
  /** Unix ms when the request was accepted. */
  queuedAt: number;
  /** Unix ms of the last change. */
  updatedAt: number;
  /** Unix ms when a waiting (delayed or retrying) job may run next. */
  nextAttemptAt?: number;
  /** The outcome, sealed (`SealedBox`, bound to the correlation id); present once final. */
  result?: string;
  /** A keyed fingerprint of the request (method, path, body) for the Idempotency-Key mode. */
  fingerprint?: string;
  /**
   * The request's steps for operators (the dashboard, `request-queue status`), oldest first,
   * at most the last `TIMELINE_LIMIT`. Never shown on the client's status resource.
   */
  timeline?: TimelineEntry[];
}

/** One step in a request's life, for the dashboard's timeline. Never headers, bodies or tokens. */
export interface TimelineEntry {
  /** Unix ms: when the request was accepted (queued) or the attempt started. */
  at: number;
  kind: 'queued' | 'attempt' | 'callback';
  /** 1-based: the replay attempt, or the callback delivery attempt. */
  attempt?: number;
  /** HTTP status the replay / the callback receiver answered. */
  status?: number;
  durationMs?: number;
  /** Short, e.g. "replay answered 503", "timed out after 30 s". */
  error?: string;
}

/** How many timeline entries a record keeps (the last ones). */
export const TIMELINE_LIMIT = 50;
/** Longest `error` a timeline entry keeps, in characters. */
export const TIMELINE_ERROR_LIMIT = 200;

/**
 * What the worker tells the store about one attempt it settles (`JobResult.note`), for the
 * timeline: the answer's status code, how long the attempt took, why it failed.
 */
export interface AttemptNote {
  status?: number;
  durationMs?: number;
  error?: string;
}

/**
 * The timeline entry of one settled attempt of a job that was taken at `startedAt`: an
 * `attempt` for a replay job, a `callback` for a delivery. `error` (the result's) is used
 * when the note names none; `durationMs` falls back to the time since `startedAt`.
 */
export function attemptEntry(
  kind: 'replay' | 'callback',
  attempt: number,
  startedAt: number,
  note: AttemptNote | undefined,
  error: string | undefined,
  now = Date.now(),
): TimelineEntry {
  const entry: TimelineEntry = { at: startedAt, kind: kind === 'replay' ? 'attempt' : 'callback', attempt };
  if (note?.status !== undefined) entry.status = note.status;
  entry.durationMs = Math.max(0, Math.round(note?.durationMs ?? now - startedAt));
  const why = note?.error ?? error;
  if (why !== undefined && why !== '') entry.error = why.slice(0, TIMELINE_ERROR_LIMIT);
  return entry;
}

/**
 * Timeline entries as stores keep them: one JSON object per line. Lines that do not parse
 * as an entry are skipped; only the last `TIMELINE_LIMIT` are returned.
 */
export function parseTimeline(text: string | null | undefined): TimelineEntry[] {
  if (!text) return [];
  const entries: TimelineEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const value = JSON.parse(line) as Partial<TimelineEntry>;
      if (typeof value.at === 'number' && ['queued', 'attempt', 'callback'].includes(value.kind ?? '')) {
        entries.push(value as TimelineEntry);
      }
    } catch {
      // a damaged line is left out; the others still tell the story
    }
  }
  return entries.slice(-TIMELINE_LIMIT);
}

/** One timeline entry as one stored line (no newline inside: JSON escapes them). */
export function timelineLine(entry: TimelineEntry): string {
  return JSON.stringify(entry);
}

/** Work finished in one minute on one queue (replays only, not callback deliveries). */
export interface ThroughputPoint {
  /** Unix ms of the minute's start. */
  at: number;
  queue: string;
  /** Replays that ended completed in that minute. */
  completed: number;
  /** Replays that ended failed (out of tries, or given up). */
  failed: number;
  /** Sum over replays that started their first attempt in that minute of (start - queuedAt), ms. */
  waitMs: number;
  /** How many such starts. */
  waited: number;
}

/** How long stores keep throughput counts [2 h]: the dashboard shows the last hour. */
export const THROUGHPUT_KEEP_MS = 2 * 60 * 60 * 1000;
export const MINUTE_MS = 60_000;

/** The start (unix ms) of the minute `ms` falls in. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** What the worker's result tells the store to keep once a replay is final. */
export interface FinalStatus {
  /** The outcome, sealed by the processor (the same object the callback carries). */
  result: string;
  /** How long the record stays readable after now, ms (`statusTtl`). */
  keepMs: number;
}

/** What `enqueue` also records about the request, beside claiming its id. */
export interface StatusSeed {
  /** See `StatusRecord.fingerprint`. */
  fingerprint?: string;
}

/** States of stored jobs an operator can list (`request-queue list --state`). */
export type JobState = 'waiting' | 'delayed' | 'running' | 'failed';
export const JOB_STATES: readonly JobState[] = ['waiting', 'delayed', 'running', 'failed'];

/** One stored job as `request-queue list` shows it. Never its sealed part. */
export interface JobSummary {
  /** The store's id; for failed jobs, the id `retry`/`forget` take. */
  id: string;
  queue: string;
  state: JobState;
  kind: 'replay' | 'callback';
  correlationId: string;
  method: string;
  path: string;
  /** Attempts started (for failed jobs, the attempts it had). */
  attempts: number;
  /** Unix ms when the job was stored. */
  createdAt: number;
  /** Unix ms when a waiting or delayed job may run. */
  availableAt?: number;
  /** Why it failed (failed jobs). */
  error?: string;
}

/** Filter of `listJobs`. */
export interface JobFilter {
  queue?: string;
  state?: JobState;
  /** At most this many, oldest first for waiting/delayed/running, newest first for failed. */
  limit: number;
}

/** Counts of one queue's jobs per state (`request-queue stats`). */
export interface QueueStats {
  queue: string;
  waiting: number;
  delayed: number;
  running: number;
  failed: number;
}
