import type { Redis } from 'ioredis';
import {
  minuteOf,
  parseTimeline,
  THROUGHPUT_KEEP_MS,
  timelineLine,
  type FinalStatus,
  type StatusRecord,
  type TimelineEntry,
} from '../../core/request-status.js';
import type { JobPayload } from '../../core/job.js';

/** How long a final record without a sealed outcome (`status` absent) stays readable [24 h]. */
const DEFAULT_KEEP_MS = 24 * 60 * 60 * 1000;

/** The `rqStatus` command (`STATUS_WRITE_LUA`) on the connection the records are written with. */
export interface StatusCommand {
  rqStatus(numKeys: 2, key: string, throughputKey: string, ...args: string[]): Promise<number>;
  /** `TIMELINE_APPEND_LUA`. */
  rqTimeline(numKeys: 1, key: string, queuedAt: string, line: string): Promise<number>;
}

/** What a record write changes: fields to set, or `''` to remove them. */
type Fields = Record<string, string | number>;

/** What else a record write does (see `STATUS_WRITE_LUA`). */
interface Extra {
  /** A timeline entry to append. */
  entry?: TimelineEntry;
  /** Counted in this minute's throughput of the job's queue. */
  count?: 'completed' | 'failed';
  /** A first attempt's queue wait (from the 202 to its start), added to the minute's wait. */
  waitMs?: number;
}

/** A record write, ready to send: `writeStatus`'s keys and arguments (`status.lua.ts`). */
export interface StatusWrite {
  keys: [status: string, throughput: string];
  args: string[];
}

/** Builds a record write: expiry, fields, and what else it does. */
type Build = (expiry: string, fields: Fields, extra?: Extra) => StatusWrite;
/** Sends a built write on its own (`rqStatus`). */
type Send = (write: StatusWrite) => Promise<number>;

/** A callback delivery's line for its request's timeline, guarded by the request's `queuedAt`. */
export interface TimelineLine {
  key: string;
  queuedAt: number;
  line: string;
}

/**
 * The status records of replay jobs (README "Where is my request?") in Redis: one hash per correlation id at
 * `<prefix>:request-queue:status:<id>`. `enqueue` writes the first one inside its own
 * script; this class writes the later ones (through `STATUS_WRITE_LUA`) and reads them.
 *
 * `running` is not written (a round trip per attempt saved): a `queued` or `retrying` record
 * whose job holds a worker's lock reads as `running`, with the attempt the worker counts and
 * the take's time (`read`). Workers of earlier releases wrote it on take; such a record
 * reads as stored.
 *
 * A final record is written in the same script that finishes the job in Bull and stores its
 * callback job (`SETTLE_LUA`, see `JobStatus.final`). Workers of earlier releases wrote it
 * first with a `pending` mark, moved the job, then removed the mark: a reader still treats a
 * pending record as `running` until the job is really gone from Bull (completed) or in its
 * failed set.
 */
export class RedisStatusRecords {
  constructor(
    private readonly client: () => Redis & StatusCommand,
    private readonly prefix: string,
  ) {}

  key(correlationId: string): string {
    return `${this.prefix}:request-queue:status:${correlationId}`;
  }

  /** The writer for one job's record; null for a callback job, which never touches records. */
  forJob(queue: string, jobId: string, payload: JobPayload): JobStatus | null {
    if (payload.kind !== 'replay') return null;
    const key = this.key(payload.correlationId);
    const build: Build = (expiry, fields, extra = {}) => {
      const now = Date.now();
      return {
        keys: [key, this.throughputKey(minuteOf(now))],
        args: [
          queue,
          jobId,
          expiry,
          extra.entry ? timelineLine(extra.entry) : '',
          extra.count ?? '',
          extra.waitMs === undefined ? '' : String(Math.max(0, Math.round(extra.waitMs))),
          String(THROUGHPUT_KEEP_MS),
          ...flatten(fields),
        ],
      };
    };
    const send: Send = (w) => this.client().rqStatus(2, ...w.keys, ...w.args);
    return new JobStatus(build, send, payload.queuedAt);
  }

  /** A settled callback job's entry, for `SETTLE_LUA` to append with the job's move. */
  callbackLine(correlationId: string, queuedAt: number, entry: TimelineEntry): TimelineLine {
    return { key: this.key(correlationId), queuedAt, line: timelineLine(entry) };
  }

  /**
   * Appends a callback delivery's entry to its request's timeline (a replay job's record
   * writes its own entries). Resolves to false when the record is gone or is a newer request's.
   */
  async appendCallback(correlationId: string, queuedAt: number, entry: TimelineEntry): Promise<boolean> {
    return (await this.client().rqTimeline(1, this.key(correlationId), String(queuedAt), timelineLine(entry))) === 1;
  }

  /** The hash of one minute's throughput counts: fields `<metric>:<queue>`. */
  throughputKey(minute: number): string {
    return `${this.prefix}:request-queue:throughput:${minute}`;
  }

  /**
   * The record, `running` while a worker holds its job (see the class comment). When no
   * worker holds it, the record is read again: the job's settle (which writes the record and
   * releases the lock in one script) may have come between the two reads.
   */
  async read(correlationId: string): Promise<StatusRecord | null> {
    const record = await this.readStored(correlationId);
    if (record?.state !== 'queued' && record?.state !== 'retrying') return record;
    return (await this.withRun(record)) ?? this.readStored(correlationId);
  }

  /** The record as stored, with a pending final state resolved against Bull. */
  private async readStored(correlationId: string): Promise<StatusRecord | null> {
    const hash = await this.client().hgetall(this.key(correlationId));
    if (!hash.state) return null;
    const record = toRecord(correlationId, hash);
    if (hash.pending === undefined || (await this.jobFinished(record.queue, record.jobId))) return record;
    // The worker wrote the final state but Bull has not (or not yet) finished the job: it
    // may still run again (its worker died before the move), so it is still running.
    const { result: _sealed, ...running } = record;
    return { ...running, state: 'running' };
  }

  /**
   * A waiting record whose job a worker holds is `running`: the attempt it runs (as the
   * worker counts it: failed attempts, plus runs lost with their worker, plus one) since the
   * take. Held: its lock is set (Bull's `moveToActive` sets it, a settle or a lapse removes
   * it) by a take no older than the record's last write (Bull 4.0's move to the delayed set
   * leaves the lock of a retried or held-back job in place until it lapses, and the record
   * is written after that take). Null when no worker holds it.
   */
  private async withRun(record: StatusRecord): Promise<StatusRecord | null> {
    const job = `${this.prefix}:${record.queue}:${record.jobId}`;
    const replies = await this.client()
      .pipeline()
      .exists(`${job}:lock`)
      .hmget(job, 'processedOn', 'attemptsMade', 'stalledCounter')
      .exec();
    const locked = replies?.[0]?.[1] === 1;
    const [processedOn, made, stalled] = (replies?.[1]?.[1] ?? []) as (string | null)[];
    if (!locked || !processedOn || Number(processedOn) < record.updatedAt) return null;
    const { nextAttemptAt: _next, ...rest } = record;
    return {
      ...rest,
      state: 'running',
      attempts: (Number(made) || 0) + (Number(stalled) || 0) + 1,
      updatedAt: Number(processedOn),
    };
  }

  /** True once Bull is done with the job: completed (and so removed) or in the failed set. */
  private async jobFinished(queue: string, jobId: string): Promise<boolean> {
    const [exists, failedAt] = await Promise.all([
      this.client().exists(`${this.prefix}:${queue}:${jobId}`),
      this.client().zscore(`${this.prefix}:${queue}:failed`, jobId),
    ]);
    return exists === 0 || failedAt !== null;
  }
}

/**
 * The record writes for one replay job. Each resolves once Redis has the write, so the
 * caller can order it before the move it describes.
 */
export class JobStatus {
  constructor(
    private readonly build: Build,
    private readonly send: Send,
    private readonly queuedAt: number,
  ) {}

  private write(expiry: string, fields: Fields, extra?: Extra): Promise<number> {
    return this.send(this.build(expiry, fields, extra));
  }

  /** The queue wait to count with attempt `attempt` that started at `startedAt`: once per request, on its first attempt. */
  private waitOf(attempt: number, startedAt: number): number | undefined {
    return attempt === 1 ? startedAt - this.queuedAt : undefined;
  }

  /** Asked for a retry; written (with the attempt's timeline entry) before Bull moves the job to its delayed set. */
  retrying(attempt: number, delayMs: number, entry: TimelineEntry | undefined, startedAt: number): Promise<number> {
    const now = afterTake(startedAt);
    return this.write(
      'persist',
      { ...this.base('retrying', attempt, now), nextAttemptAt: now + delayMs, pending: '' },
      { entry, waitMs: this.waitOf(attempt, startedAt) },
    );
  }

  /** Held back by flow control (not an attempt): queued again, runnable at `nextAttemptAt`. */
  released(attempts: number, delayMs: number, startedAt: number): Promise<number> {
    const now = afterTake(startedAt);
    return this.write('persist', { ...this.base('queued', attempts, now), nextAttemptAt: now + delayMs });
  }

  /**
   * The final state and outcome, expiring after `keepMs`, with the attempt's timeline entry
   * and the throughput count: not sent here, but handed to `SETTLE_LUA`, which writes it in
   * the step that finishes the job in Bull and stores its callback job.
   */
  final(
    state: 'completed' | 'failed',
    attempt: number,
    status: FinalStatus | undefined,
    entry: TimelineEntry | undefined,
    startedAt: number,
  ): StatusWrite {
    return this.build(
      String(status?.keepMs ?? DEFAULT_KEEP_MS),
      { ...this.base(state, attempt), nextAttemptAt: '', result: status?.result ?? '', pending: '' },
      { entry, count: state, waitMs: this.waitOf(attempt, startedAt) },
    );
  }

  /** Put back by an operator (`retryFailed`): queued again (a `queued` entry), its old outcome gone, no TTL. */
  requeued(): Promise<number> {
    const now = Date.now();
    return this.write(
      'persist',
      { ...this.base('queued', 0, now), nextAttemptAt: '', result: '', pending: '' },
      { entry: { at: now, kind: 'queued' } },
    );
  }

  private base(state: StatusRecord['state'], attempts: number, now = Date.now()): Fields {
    return { state, attempts, queuedAt: this.queuedAt, updatedAt: now };
  }
}

function flatten(fields: Fields): string[] {
  return Object.entries(fields).flatMap(([name, value]) => [name, String(value)]);
}

function toRecord(correlationId: string, hash: Record<string, string>): StatusRecord {
  const record: StatusRecord = {
    correlationId,
    state: hash.state as StatusRecord['state'],
    attempts: Number(hash.attempts ?? 0),
    queue: hash.queue ?? '',
    jobId: hash.jobId ?? '',
    queuedAt: Number(hash.queuedAt ?? 0),
    updatedAt: Number(hash.updatedAt ?? 0),
  };
  if (hash.nextAttemptAt !== undefined) record.nextAttemptAt = Number(hash.nextAttemptAt);
  if (hash.result !== undefined) record.result = hash.result;
  if (hash.fingerprint !== undefined) record.fingerprint = hash.fingerprint;
  const timeline = parseTimeline(hash.timeline);
  if (timeline.length > 0) record.timeline = timeline;
  return record;
}

/**
 * The time a record written after a take says it was written: never the take's own
 * millisecond. A reader sees a job as running while its lock is set by a take no older than
 * the record (`read`), and Bull 4.0 leaves the lock of a retried or held-back job in place:
 * a retry written in the same millisecond as the take would read as running until the lock
 * lapsed. The take's `processedOn` is at most `startedAt` (taken before the lease began).
 */
function afterTake(startedAt: number): number {
  return Math.max(Date.now(), startedAt + 1);
}
