import type { JobResult, ReservedJob } from '../core/job.js';
import { attemptEntry, type StatusRecord } from '../core/request-status.js';
import { leasesExhausted } from '../core/policies.js';
import type { JobLease, JobSource } from '../store/consume-loop.js';
import type { MemoryJob, MemoryState } from './memory-state.js';

/**
 * Takes jobs from a `MemoryState` for the shared consume loop, and applies their results
 * as the store contract says, each in one synchronous step. `owner` stands for the process
 * holding the leases (one `MemoryStore`); a lease it gives up lapses `leaseMs` later.
 */
export class MemoryJobSource implements JobSource {
  constructor(
    private readonly state: MemoryState,
    private readonly owner: object,
    private readonly leaseMs: number,
  ) {}

  take(queues: readonly string[]): Promise<JobLease | null> {
    const now = Date.now();
    for (const queue of queues) {
      const job = this.next(queue, now);
      if (job) return Promise.resolve(this.lease(job, now));
    }
    return Promise.resolve(null);
  }

  idle(ms: number, signal: AbortSignal): Promise<void> {
    const now = Date.now();
    let until = now + ms;
    for (const job of this.state.jobs.values()) {
      const due = job.lease ? job.lease.expiresAt : job.availableAt;
      if (due > now && due < until) until = due;
    }
    return this.state.waiter.wait(Math.max(1, until - now), signal);
  }

  /** The job of `queue` to run next: ready, oldest due first, or one whose lease lapsed. */
  private next(queue: string, now: number): MemoryJob | undefined {
    let best: MemoryJob | undefined;
    for (const job of this.state.jobs.values()) {
      if (job.queue !== queue) continue;
      const ready = job.lease ? job.lease.expiresAt <= now : job.availableAt <= now;
      if (!ready) continue;
      if (!best || job.availableAt < best.availableAt || (job.availableAt === best.availableAt && job.seq < best.seq))
        best = job;
    }
    return best;
  }

  private lease(job: MemoryJob, now: number): JobLease {
    const before = { attempts: job.attempts, leaseLosses: job.leaseLosses }; // what a release restores
    if (job.lease) job.leaseLosses++; // its holder gave it up without a result
    const exhausted = leasesExhausted(job.attempts + 1, job.payload.tries);
    if (!exhausted) job.attempts++;
    const lease = { owner: this.owner, expiresAt: Infinity, startedAt: now };
    job.lease = lease;
    const reserved: ReservedJob = {
      id: job.id,
      queue: job.queue,
      payload: structuredClone(job.payload),
      attempt: job.attempts,
      leaseLosses: job.leaseLosses,
    };
    if (exhausted) reserved.leasesExhausted = true;
    if (job.payload.kind === 'replay' && !exhausted) this.markRunning(job, now);
    const held = () => job.lease === lease && this.state.jobs.get(job.id) === job;
    return {
      job: reserved,
      settle: (result) => {
        if (!held()) return Promise.resolve();
        if (result.type === 'release') this.release(job, before, result.delayMs, Date.now());
        else this.apply(job, result, Date.now());
        return Promise.resolve();
      },
      abandon: () => {
        if (held()) lease.expiresAt = Date.now() + this.leaseMs;
      },
    };
  }

  private markRunning(job: MemoryJob, now: number): void {
    const record = this.recordOf(job, now);
    if (record) {
      record.state = 'running';
      record.attempts = job.attempts;
      record.updatedAt = now;
      delete record.nextAttemptAt;
    }
    if (job.attempts === 1)
      this.state.count(job.queue, now, { waitMs: Math.max(0, now - job.payload.queuedAt), waited: 1 });
  }

  /** The status record of the request `job` belongs to (not a newer one under the same id). */
  private recordOf(job: MemoryJob, now: number): StatusRecord | undefined {
    const record = this.state.record(job.payload.correlationId, now)?.record;
    return record && record.queuedAt === job.payload.queuedAt ? record : undefined;
  }

  /** Flow control held it back: runnable after `delayMs`, the reservation undone (not an attempt). */
  private release(
    job: MemoryJob,
    before: { attempts: number; leaseLosses: number },
    delayMs: number,
    now: number,
  ): void {
    const record = job.payload.kind === 'replay' ? this.recordOf(job, now) : undefined;
    Object.assign(job, before);
    const at = now + Math.max(1, delayMs);
    this.state.requeue(job, at);
    if (record)
      Object.assign(record, { state: 'queued', attempts: before.attempts, nextAttemptAt: at, updatedAt: now });
  }

  private apply(job: MemoryJob, result: Exclude<JobResult, { type: 'release' }>, now: number): void {
    const replay = job.payload.kind === 'replay';
    const record = this.recordOf(job, now);
    const error = result.type === 'complete' ? undefined : result.error;
    const startedAt = job.lease?.startedAt ?? now;
    if (record) {
      this.state.addTimeline(record, attemptEntry(job.payload.kind, job.attempts, startedAt, result.note, error, now));
    }
    if (result.type === 'retry') {
      const at = now + Math.max(0, result.delayMs);
      this.state.requeue(job, at);
      if (replay && record) Object.assign(record, { state: 'retrying', nextAttemptAt: at, updatedAt: now });
      return;
    }
    this.state.jobs.delete(job.id);
    job.lease = undefined;
    if (result.type === 'fail') this.state.failed.set(job.id, { job, error: result.error, failedAt: now });
    if (replay) {
      this.state.count(job.queue, now, result.type === 'complete' ? { completed: 1 } : { failed: 1 });
      if (record) {
        record.state = result.type === 'complete' ? 'completed' : 'failed';
        record.attempts = job.attempts;
        record.updatedAt = now;
        delete record.nextAttemptAt;
        if (result.status) {
          record.result = result.status.result;
          this.state.records.get(record.correlationId)!.expiresAt = now + result.status.keepMs;
        }
      }
    }
    if (result.next) this.state.store(result.next, now);
  }
}
