import type Bull from 'bull';
import { isCallbackLane } from '../../core/callback-lane.js';
import type { JobPayload, JobResult, NewJob, ReservedJob } from '../../core/job.js';
import { leasesExhausted } from '../../core/policies.js';
import type { JobLease, JobSource } from '../consume-loop.js';
import { isJobPayload } from '../job-payload.js';
import { bullLoop, type TakenJob } from './bull-loop.js';
import { IdleWaiter } from '../idle-waiter.js';
import { attemptEntry, type TimelineEntry } from '../../core/request-status.js';
import type { JobStatus, RedisStatusRecords } from './redis-status.js';
import type { FlowSupport } from '../../flow/flow-gate.js';
import type { HandedOver, RedisSettler, Settlement } from './redis-settle.js';

export type RetryError = Error & { delayMs?: number };

/**
 * How long a callback lane found empty is skipped before it is looked at again, unless a job
 * is known to have arrived on it (this process stored one, or Bull announced one). Looking at
 * an empty lane before every take costs a round trip per job (a third of a no-op drain's
 * rate); this bounds how late a lane job that arrived unannounced (a retry whose delay
 * ended) is seen.
 */
const EMPTY_LANE_RECHECK_MS = 100;

interface Loop {
  take(): Promise<TakenJob<JobPayload> | null>;
  readonly token: string;
  handedOver(hash: Record<string, string>, jobId: string): Promise<TakenJob<JobPayload>>;
}

/** Ends a lease's job (`SETTLE_LUA`); resolves to the lease of the next job when it was handed over. */
type Finish = (settlement: Settlement) => Promise<JobLease | undefined>;

/** Whether, and under which lock, a next job on `queue` can be handed to this worker. */
type HandOverTo = (queue: string) => Settlement['handOver'];

/**
 * Takes jobs for the consume loop from Bull queues, one queue after the other in priority
 * order, and wakes an idle loop as soon as Bull announces a waiting job on any of them.
 */
export class RedisJobSource implements JobSource {
  private readonly loops = new Map<string, Loop>();
  private readonly waiter = new IdleWaiter();
  private readonly wake = () => this.waiter.wakeAll();
  /** Lanes found empty, and when (see `EMPTY_LANE_RECHECK_MS`). */
  private readonly emptyLanes = new Map<string, number>();
  /** Lane arrivals signalled so far: a take that overlapped one does not mark its lane empty. */
  private laneArrivals = 0;
  private readonly listeners: [Bull.Queue<JobPayload>, () => void][] = [];
  private readonly finish: Finish;
  private readonly handOverTo: HandOverTo = (queue) => {
    const loop = this.loops.get(queue);
    return loop && { lockToken: loop.token, lockDuration: this.lockDuration };
  };

  constructor(
    private readonly queues: ReadonlyMap<string, Bull.Queue<JobPayload>>,
    private readonly lockDuration: number,
    settler: RedisSettler,
    private readonly records: RedisStatusRecords,
    /** Flow control slots (lib/flow); the loop settles a held-back job with `release`. */
    readonly flow?: FlowSupport,
  ) {
    this.finish = async (settlement) => {
      const handed = await settler.settle(settlement);
      if (!settlement.next) return undefined;
      if (handed) return this.adopt(settlement.next, handed);
      this.arrived(settlement.next.queue);
      return undefined;
    };
  }

  /** The lease of a job a settle handed over to this worker: active under its queue's lock. */
  private async adopt(next: NewJob, handed: HandedOver): Promise<JobLease> {
    const taken = await this.loops.get(next.queue)!.handedOver(handed.hash, handed.id);
    const job: ReservedJob = { id: handed.id, queue: next.queue, payload: next.payload, attempt: 1, leaseLosses: 0 };
    const status = this.records.forJob(next.queue, handed.id, next.payload);
    return new RedisLease(
      taken,
      job,
      this.lockDuration,
      this.finish,
      this.handOverTo,
      status,
      status ? null : this.records,
    );
  }

  /** A job may be waiting on `queue`: a lane is looked at again on the next take. */
  private arrived(queue: string): void {
    if (!isCallbackLane(queue)) return;
    this.laneArrivals++;
    this.emptyLanes.delete(queue);
  }

  /** Starts Bull's delayed-job timer and stalled-job check on every queue, and listens for arrivals. */
  async open(): Promise<void> {
    for (const [name, queue] of this.queues) {
      const loop = bullLoop(queue);
      await loop.init();
      this.loops.set(name, loop);
      const listener = () => {
        this.arrived(name);
        this.wake();
      };
      queue.on('global:waiting', listener);
      this.listeners.push([queue, listener]);
    }
  }

  close(): void {
    for (const [queue, listener] of this.listeners.splice(0)) queue.off('global:waiting', listener);
    this.wake();
  }

  async take(queues: readonly string[]): Promise<JobLease | null> {
    for (const name of queues) {
      const loop = this.loops.get(name)!;
      const lane = isCallbackLane(name);
      if (lane && Date.now() - (this.emptyLanes.get(name) ?? -Infinity) < EMPTY_LANE_RECHECK_MS) continue;
      const arrivalsBefore = this.laneArrivals;
      for (;;) {
        const taken = await loop.take();
        if (!taken) {
          if (lane && this.laneArrivals === arrivalsBefore) this.emptyLanes.set(name, Date.now());
          break;
        }
        const job = taken.job;
        if (!isJobPayload(job.data)) {
          // Synchronous in Bull 4 (it sets a flag: no retry), though typed as a promise.
          void job.discard();
          await job.moveToFailed({ message: 'not a request-queue job (unknown payload shape)' }, false);
          continue;
        }
        // Bull's stalled check took it back from a worker that lost its lock (died) this
        // many times; it counts with the attempts that got a result, as the database does.
        const leaseLosses = taken.stalledCounter;
        const started = job.attemptsMade + leaseLosses;
        const id = String(job.id);
        const status = this.records.forJob(name, id, job.data);
        if (leasesExhausted(started + 1, job.data.tries)) {
          // Not run again: handed over to be failed, with its failure outcome (store contract).
          const reserved = { id, queue: name, payload: job.data, attempt: started, leaseLosses, leasesExhausted: true };
          return new RedisLease(taken, reserved, this.lockDuration, this.finish, this.handOverTo, status);
        }
        const reserved = { id, queue: name, payload: job.data, attempt: started + 1, leaseLosses };
        // No `running` write: a reader sees the job running from its lock (`RedisStatusRecords.read`).
        const timeline = status ? null : this.records;
        return new RedisLease(taken, reserved, this.lockDuration, this.finish, this.handOverTo, status, timeline);
      }
    }
    return null;
  }

  idle(ms: number, signal: AbortSignal): Promise<void> {
    return this.waiter.wait(ms, signal);
  }
}

/** A Bull job in active state under this process's lock, renewed until it is settled or abandoned. */
class RedisLease implements JobLease {
  private renewal?: NodeJS.Timeout;
  private readonly bullJob: Bull.Job<JobPayload>;

  constructor(
    private readonly taken: TakenJob<JobPayload>,
    readonly job: ReservedJob,
    lockDuration: number,
    private readonly finish: Finish,
    private readonly handOverTo: HandOverTo,
    /** The replay job's status record; null for a callback job. */
    private readonly status: JobStatus | null,
    /** Where a callback job's deliveries go on its request's timeline; null for a replay job. */
    private readonly timeline: RedisStatusRecords | null = null,
    private readonly startedAt = Date.now(),
  ) {
    const bullJob = (this.bullJob = taken.job);
    this.renewal = setInterval(() => {
      // A failed renewal is not fatal: settle() fails if the lock was really lost, and the
      // job then runs again elsewhere (at least once).
      // Job#extendLock exists in every Bull 4, but is typed only from bull 4.12.0 on.
      (bullJob as Bull.Job<JobPayload> & { extendLock(ms: number): Promise<unknown> })
        .extendLock(lockDuration)
        .catch(() => {});
    }, lockDuration / 2);
  }

  /**
   * Applies the result and writes the status record with it. A retry writes `retrying`
   * first, then Bull delays the job (a failed write rejects with the job still active: its
   * lock lapses and it runs again, at least once). Complete and fail are one script
   * (`SETTLE_LUA`): Bull's move, `next` (the callback job) and the final record together, or
   * nothing when the lock was lost (the job runs again elsewhere). With `handOver`, the `next`
   * delivery, on a lane this worker consumes, is stored active under this worker's lock and
   * comes back as the lease to run next (`SETTLE_LUA`).
   */
  async settle(result: JobResult, options?: { handOver?: boolean }): Promise<JobLease | undefined> {
    this.abandon();
    if (result.type === 'release') {
      // Held back by flow control: back to Bull's delayed set under our lock, attemptsMade
      // and stalledCounter untouched (not an attempt); the record says queued again.
      await this.status?.released(this.job.attempt - 1, result.delayMs, this.startedAt);
      // Job#moveToDelayed (active to delayed, lock checked) is in every Bull 4, untyped.
      await (this.bullJob as Bull.Job<JobPayload> & { moveToDelayed(at: number): Promise<void> }).moveToDelayed(
        Date.now() + Math.max(1, result.delayMs),
      );
      return undefined;
    }
    const entry = attemptEntry(
      this.job.payload.kind,
      this.job.attempt,
      this.startedAt,
      result.note,
      result.type === 'complete' ? undefined : result.error,
    );
    if (result.type === 'retry') {
      await this.status?.retrying(this.job.attempt, result.delayMs, entry, this.startedAt);
      const err: RetryError = new Error(result.error);
      err.delayMs = result.delayMs;
      await this.bullJob.moveToFailed(err, false);
      await this.noteDelivery(entry);
      return undefined;
    }
    const outcome = result.type === 'complete' ? 'completed' : 'failed';
    const p = this.job.payload;
    const next = result.next;
    return this.finish({
      queue: this.job.queue,
      jobId: this.job.id,
      lockToken: this.taken.lockToken,
      outcome,
      failedReason: result.type === 'fail' ? result.error : undefined,
      next: result.next,
      status: this.status?.final(outcome, this.job.attempt, result.status, entry, this.startedAt),
      // A delivery's timeline entry goes with its job's move: one round trip, not two.
      timeline: this.timeline?.callbackLine(p.correlationId, p.queuedAt, entry),
      // The delivery can run here next, without a take (`SETTLE_LUA`).
      handOver: options?.handOver && next ? this.handOverTo(next.queue) : undefined,
    });
  }

  /** A retried delivery's entry on its request's timeline; a missed one (Redis went away) loses only the entry. */
  private async noteDelivery(entry: TimelineEntry): Promise<void> {
    const p = this.job.payload;
    await this.timeline?.appendCallback(p.correlationId, p.queuedAt, entry).catch(() => false);
  }

  abandon(): void {
    clearInterval(this.renewal);
    this.renewal = undefined;
  }
}
