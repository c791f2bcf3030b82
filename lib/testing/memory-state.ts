import { baseQueue } from '../core/callback-lane.js';
import type { JobPayload, NewJob } from '../core/job.js';
import {
  minuteOf,
  THROUGHPUT_KEEP_MS,
  TIMELINE_LIMIT,
  type StatusRecord,
  type ThroughputPoint,
  type TimelineEntry,
} from '../core/request-status.js';
import { IdleWaiter } from '../store/idle-waiter.js';

/** One stored job of the in-memory store, in whatever state it is. */
export interface MemoryJob {
  id: string;
  /** The queue it is on (a callback lane included). */
  queue: string;
  payload: JobPayload;
  /** Order of storage, for first-in first-out among jobs due at the same time. */
  seq: number;
  createdAt: number;
  /** Unix ms from when it may run. */
  availableAt: number;
  /** Reservations so far (attempts started, lost leases included). */
  attempts: number;
  /** Times it was taken back from a holder that gave it up without a result. */
  leaseLosses: number;
  /** Set while a consumer holds it: the lease, and until when (Infinity while renewed). */
  lease?: { owner: object; expiresAt: number; startedAt: number };
}

/** A job in the failed set. */
export interface MemoryFailedJob {
  job: MemoryJob;
  error: string;
  failedAt: number;
}

/** A status record with when it stops being readable (final records only). */
export interface MemoryRecord {
  record: StatusRecord;
  expiresAt?: number;
}

/**
 * Everything the in-memory store keeps. Several `MemoryStore`s over one state behave like
 * several processes over one server; every operation on it is synchronous, so each is atomic.
 */
export class MemoryState {
  readonly claims = new Map<string, number>();
  readonly jobs = new Map<string, MemoryJob>();
  readonly failed = new Map<string, MemoryFailedJob>();
  readonly records = new Map<string, MemoryRecord>();
  readonly throughputPoints = new Map<string, ThroughputPoint>();
  readonly waiter = new IdleWaiter();
  restartAt: number | null = null;
  private lastId = 0;
  private lastSeq = 0;

  /** Forgets every job, claim, record, count and signal. */
  clear(): void {
    this.claims.clear();
    this.jobs.clear();
    this.failed.clear();
    this.records.clear();
    this.throughputPoints.clear();
    this.restartAt = null;
  }

  /** The queues that hold jobs (callback lanes included). */
  queues(): string[] {
    return [...new Set([...this.jobs.values()].map((job) => job.queue))];
  }

  /** Makes every job waiting on a delay ready now; false when there was none. */
  makeDelayedReady(now = Date.now()): boolean {
    let moved = false;
    for (const job of this.jobs.values()) {
      if (!job.lease && job.availableAt > now) {
        job.availableAt = now;
        moved = true;
      }
    }
    if (moved) this.waiter.wakeAll();
    return moved;
  }

  /** True (and the id claimed until `now + ttlMs`) unless a claim on it still holds. */
  claim(correlationId: string, ttlMs: number, now: number): boolean {
    const until = this.claims.get(correlationId);
    if (until !== undefined && until > now) return false;
    this.claims.set(correlationId, now + ttlMs);
    return true;
  }

  /** Stores a job (a copy of it), ready after its delay. */
  store(job: NewJob, now: number): MemoryJob {
    const stored: MemoryJob = {
      id: String(++this.lastId),
      queue: job.queue,
      payload: structuredClone(job.payload),
      seq: ++this.lastSeq,
      createdAt: now,
      availableAt: now + Math.max(0, job.delayMs),
      attempts: 0,
      leaseLosses: 0,
    };
    this.jobs.set(stored.id, stored);
    this.waiter.wakeAll();
    return stored;
  }

  /** Puts a job back to run again at `availableAt` (a retry, an operator's retry). */
  requeue(job: MemoryJob, availableAt: number): void {
    job.lease = undefined;
    job.availableAt = availableAt;
    job.seq = ++this.lastSeq;
    this.jobs.set(job.id, job);
    this.waiter.wakeAll();
  }

  /** The record of `correlationId`, or undefined when there is none or it expired (then it is removed). */
  record(correlationId: string, now: number): MemoryRecord | undefined {
    const kept = this.records.get(correlationId);
    if (kept?.expiresAt !== undefined && kept.expiresAt <= now) {
      this.records.delete(correlationId);
      return undefined;
    }
    return kept;
  }

  /** Appends timeline entries to a record, keeping the last `TIMELINE_LIMIT`. */
  addTimeline(record: StatusRecord, ...entries: TimelineEntry[]): void {
    record.timeline = [...(record.timeline ?? []), ...entries].slice(-TIMELINE_LIMIT);
  }

  /** Adds to the throughput counts of `queue` in the minute of `at`. */
  count(queue: string, at: number, add: Partial<Omit<ThroughputPoint, 'at' | 'queue'>>): void {
    const minute = minuteOf(at);
    const name = baseQueue(queue);
    const key = `${minute}|${name}`;
    const point = this.throughputPoints.get(key) ?? {
      at: minute,
      queue: name,
      completed: 0,
      failed: 0,
      waitMs: 0,
      waited: 0,
    };
    point.completed += add.completed ?? 0;
    point.failed += add.failed ?? 0;
    point.waitMs += add.waitMs ?? 0;
    point.waited += add.waited ?? 0;
    this.throughputPoints.set(key, point);
    for (const [k, p] of this.throughputPoints) if (p.at < at - THROUGHPUT_KEEP_MS) this.throughputPoints.delete(k);
  }
}
