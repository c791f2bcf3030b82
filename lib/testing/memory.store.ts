import { baseQueue } from '../core/callback-lane.js';
import type { FailedJob, NewJob } from '../core/job.js';
import type {
  JobFilter,
  JobState,
  JobSummary,
  QueueStats,
  StatusRecord,
  StatusSeed,
  ThroughputPoint,
} from '../core/request-status.js';
import { startConsumeLoop } from '../store/consume-loop.js';
import type { ConsumeOptions, JobConsumer, JobHandler, RequestQueueStore } from '../store/request-queue.store.js';
import { DEFAULT_LOCK_DURATION_MS } from '../core/policies.js';
import { MemoryJobSource } from './memory-job-source.js';
import { MemoryState, type MemoryJob } from './memory-state.js';

export interface MemoryStoreOptions {
  /** How long after its holder gives a job up (a stopped consumer, a closed store) it runs again, ms [30 s]. */
  leaseMs?: number;
  /** How long an idle consumer waits before looking again, ms [100]. */
  idleMs?: number;
}

const DEFAULT_IDLE_MS = 100;

/**
 * The store contract (`RequestQueueStore`) kept in this process's memory, for tests only:
 * `RequestQueueTestingModule` uses it so that an app's own tests need no Redis and no
 * database. It passes the same conformance suites as the real stores. Several stores made
 * with `share()` see the same data, like several processes on one server. Nothing
 * survives the process, so it is never a production driver.
 */
export class MemoryStore implements RequestQueueStore {
  readonly state: MemoryState;
  private readonly leaseMs: number;
  private readonly idleMs: number;
  private readonly consumers = new Set<JobConsumer>();

  constructor(options: MemoryStoreOptions = {}, state = new MemoryState()) {
    this.state = state;
    this.leaseMs = options.leaseMs ?? DEFAULT_LOCK_DURATION_MS;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  /** Another store over the same data (another "process"), with options of its own. */
  share(options: MemoryStoreOptions = {}): MemoryStore {
    return new MemoryStore(options, this.state);
  }

  claim(correlationId: string, ttlMs: number): Promise<boolean> {
    return Promise.resolve(this.state.claim(correlationId, ttlMs, Date.now()));
  }

  enqueue(job: NewJob, correlationId: string, ttlMs: number, seed?: StatusSeed): Promise<string | null> {
    const now = Date.now();
    if (!this.state.claim(correlationId, ttlMs, now)) return Promise.resolve(null);
    const stored = this.state.store(job, now);
    const record: StatusRecord = {
      correlationId,
      state: 'queued',
      attempts: 0,
      queue: job.queue,
      jobId: stored.id,
      queuedAt: job.payload.queuedAt,
      updatedAt: now,
      timeline: [{ at: job.payload.queuedAt, kind: 'queued' }],
    };
    if (job.delayMs > 0) record.nextAttemptAt = stored.availableAt;
    if (seed?.fingerprint !== undefined) record.fingerprint = seed.fingerprint;
    this.state.records.set(correlationId, { record });
    return Promise.resolve(stored.id);
  }

  readStatus(correlationId: string): Promise<StatusRecord | null> {
    const kept = this.state.record(correlationId, Date.now());
    return Promise.resolve(kept ? structuredClone(kept.record) : null);
  }

  listJobs(filter: JobFilter): Promise<JobSummary[]> {
    const now = Date.now();
    const states: JobState[] = filter.state ? [filter.state] : ['waiting', 'delayed', 'running', 'failed'];
    const found: JobSummary[] = [];
    for (const state of states) {
      if (state === 'failed') {
        for (const { job, error } of this.failedNewestFirst()) {
          if (filter.queue === undefined || baseQueue(job.queue) === filter.queue)
            found.push({ ...summary(job, 'failed'), error });
        }
        continue;
      }
      const jobs = [...this.state.jobs.values()]
        .filter((job) => jobState(job, now) === state)
        .filter((job) => filter.queue === undefined || baseQueue(job.queue) === filter.queue)
        .sort((a, b) => a.seq - b.seq);
      for (const job of jobs) {
        const item = summary(job, state);
        if (state !== 'running') item.availableAt = job.availableAt;
        found.push(item);
      }
    }
    return Promise.resolve(found.slice(0, filter.limit));
  }

  stats(): Promise<QueueStats[]> {
    const now = Date.now();
    const byQueue = new Map<string, QueueStats>();
    const add = (queue: string, state: JobState) => {
      const name = baseQueue(queue);
      const stats = byQueue.get(name) ?? { queue: name, waiting: 0, delayed: 0, running: 0, failed: 0 };
      stats[state]++;
      byQueue.set(name, stats);
    };
    for (const job of this.state.jobs.values()) add(job.queue, jobState(job, now));
    for (const { job } of this.state.failed.values()) add(job.queue, 'failed');
    return Promise.resolve([...byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0)));
  }

  throughput(sinceMs: number): Promise<ThroughputPoint[]> {
    const points = [...this.state.throughputPoints.values()]
      .filter((p) => p.at >= sinceMs)
      .map((p) => ({ ...p }))
      .sort((a, b) => a.at - b.at || (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
    return Promise.resolve(points);
  }

  consume(options: ConsumeOptions, handler: JobHandler): Promise<JobConsumer> {
    const source = new MemoryJobSource(this.state, this, this.leaseMs);
    const consumer = startConsumeLoop(source, { ...options, idleMs: options.idleMs ?? this.idleMs }, handler);
    this.consumers.add(consumer);
    void consumer.finished.then(() => this.consumers.delete(consumer));
    return Promise.resolve(consumer);
  }

  listFailed(): Promise<FailedJob[]> {
    return Promise.resolve(
      this.failedNewestFirst().map(({ job, error, failedAt }) => ({
        id: job.id,
        queue: baseQueue(job.queue),
        kind: job.payload.kind,
        correlationId: job.payload.correlationId,
        method: job.payload.method,
        path: job.payload.path,
        error,
        failedAt: new Date(failedAt),
        attempts: job.attempts,
      })),
    );
  }

  retryFailed(ids: readonly string[]): Promise<number> {
    let moved = 0;
    for (const id of ids) if (this.putBack(id)) moved++;
    return Promise.resolve(moved);
  }

  retryAllFailed(queue: string): Promise<number> {
    const ids = [...this.state.failed.values()]
      .filter(({ job }) => baseQueue(job.queue) === queue)
      .map(({ job }) => job.id);
    return this.retryFailed(ids);
  }

  forgetFailed(id: string): Promise<boolean> {
    return Promise.resolve(this.state.failed.delete(id));
  }

  flushFailed(olderThanMs: number): Promise<number> {
    const before = Date.now() - olderThanMs;
    let removed = 0;
    for (const [id, failed] of this.state.failed) {
      if (olderThanMs === 0 || failed.failedAt < before) {
        this.state.failed.delete(id);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }

  signalRestart(): Promise<void> {
    this.state.restartAt = Date.now();
    return Promise.resolve();
  }

  lastRestart(): Promise<number | null> {
    return Promise.resolve(this.state.restartAt);
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops this store's consumers at once; the jobs they held run again after the lease, as after a crash. */
  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop(0)));
    const now = Date.now();
    for (const job of this.state.jobs.values()) {
      if (job.lease?.owner === this && job.lease.expiresAt === Infinity) job.lease.expiresAt = now + this.leaseMs;
    }
  }

  private failedNewestFirst() {
    return [...this.state.failed.values()].sort((a, b) => b.failedAt - a.failedAt || b.job.seq - a.job.seq);
  }

  /** Puts a failed job back as it was, with a fresh attempt count; a replay's record says queued again. */
  private putBack(id: string): boolean {
    const failed = this.state.failed.get(id);
    if (!failed) return false;
    const now = Date.now();
    const { job } = failed;
    this.state.failed.delete(id);
    job.attempts = 0;
    job.leaseLosses = 0;
    this.state.requeue(job, now);
    if (job.payload.kind === 'replay') {
      const kept = this.state.record(job.payload.correlationId, now);
      const record: StatusRecord = kept?.record ?? {
        correlationId: job.payload.correlationId,
        state: 'queued',
        attempts: 0,
        queue: job.queue,
        jobId: job.id,
        queuedAt: job.payload.queuedAt,
        updatedAt: now,
      };
      Object.assign(record, { state: 'queued', attempts: 0, queue: job.queue, jobId: job.id, updatedAt: now });
      delete record.result;
      delete record.nextAttemptAt;
      this.state.addTimeline(record, { at: now, kind: 'queued' });
      this.state.records.set(record.correlationId, { record });
    }
    return true;
  }
}

function jobState(job: MemoryJob, now: number): Exclude<JobState, 'failed'> {
  if (job.lease) return 'running';
  return job.availableAt > now ? 'delayed' : 'waiting';
}

function summary(job: MemoryJob, state: JobState): JobSummary {
  return {
    id: job.id,
    queue: baseQueue(job.queue),
    state,
    kind: job.payload.kind,
    correlationId: job.payload.correlationId,
    method: job.payload.method,
    path: job.payload.path,
    attempts: job.attempts,
    createdAt: job.createdAt,
  };
}
