import { setImmediate as nextTurn } from 'node:timers/promises';
import type { JobResult, ReservedJob } from '../../core/job.js';
import { sleep } from '../../core/async.js';
import { leasesExhausted } from '../../core/policies.js';
import type { JobLease, JobSource } from '../consume-loop.js';
import { isJobPayload } from '../job-payload.js';
import type { DeleteBatcher } from './delete-batcher.js';
import { applyJobResult, failUnreadableJob, type HeldJob } from './job-outcome.js';
import type { SqlClient } from './sql-client.js';
import { pruneExpiredClaims } from './sql/correlation-claims.sql.js';
import { pruneExpiredStatus } from './sql/request-status.sql.js';
import { renewReservation, unreserveJob } from './sql/jobs.sql.js';
import { pruneThroughput } from './sql/prune-expired.sql.js';
import type { ThroughputCount } from './sql/throughput.sql.js';
import { THROUGHPUT_KEEP_MS } from '../../core/request-status.js';
import { reserveExpiredJob, reserveJobs, type ReservedRow } from './sql/reserve-jobs.sql.js';
import { IdleWaiter } from '../idle-waiter.js';
import type { FlowSupport } from '../../flow/flow-gate.js';
import { DatabaseFlowSlots, pruneFlowSlots } from './sql/flow-slots.sql.js';
import { DatabaseFlowTickets, pruneFlowTickets } from './sql/flow-tickets.sql.js';

/** Flow slots free for this long are pruned (their buckets went quiet). */
const FLOW_SLOT_KEEP_MS = 60 * 60 * 1000;

/**
 * How often a worker deletes correlation claims and status records that have expired, and
 * how many at a time. Records are pruned often (their keep time can be short, and the
 * store, not a sweeper, removes them); each prune is one bounded DELETE on an index.
 */
const CLAIM_PRUNE_INTERVAL_MS = 60_000;
const STATUS_PRUNE_INTERVAL_MS = 1000;
const PRUNE_LIMIT = 1000;
/** Longest wait between two tries to record a result while the database is away. */
const MAX_BACKOFF_MS = 5000;

export interface DatabaseJobSourceSettings {
  /** The lease (Laravel's `retry_after`). */
  retryAfter: number;
  /** Expired leases are looked for at most this often (the idle wait). */
  expiredCheckEvery: number;
  /** Most jobs reserved per round trip. */
  batchSize: number;
  /** Jobs the consumer runs at once: never more are reserved than it can start. */
  concurrency: number;
  /** Most jobs the consumer takes in all (`--max-jobs`), if limited. */
  maxJobs?: number;
  /** Told when a result stored a job on `queue` (a replay's callback), so idle loops look at once. */
  onStored: (queue: string) => void;
  /** The error `take` rejects with instead of `err` when no retry can help (a missing table), else undefined. */
  fatal?: (err: unknown) => Error | undefined;
}

interface Buffered {
  queue: string;
  row: ReservedRow;
  /** The parsed payload (anything: it is checked when the job is taken). */
  payload: unknown;
}

/**
 * Takes jobs from the `jobs` table for the shared consume loop. One round trip reserves as
 * many jobs as the consumer has free slots (up to `batchSize`), from the queues in
 * priority order; the loop then takes them one by one from this buffer, at once. Expired
 * leases (a dead worker's jobs) are looked for at most once per idle wait, and taken back
 * one at a time, each reservation counted in the job's payload (`leaseLosses`): such a job
 * is never reserved in a batch with others, and runs alone (poison isolation). An enqueue in
 * this process wakes an idle loop at once; otherwise pickup latency is bounded by the
 * idle wait (Laravel's `--sleep`).
 */
export class DatabaseJobSource implements JobSource {
  private buffer: Buffered[] = [];
  /** Leases handed out and not yet settled or abandoned, plus buffered ones. */
  private outstanding = 0;
  private handedOut = 0;
  private lastExpiredCheck = 0;
  /** The last look for expired leases found one: the next fill looks again (one job at a time). */
  private expiredLeft = false;
  private lastClaimPrune = Date.now();
  private lastStatusPrune = 0;
  private pruning = false;
  private readonly closing = new AbortController();
  private readonly waiter = new IdleWaiter();
  /** Flow control slots (lib/flow), held as long as the lease; the loop settles a held-back job with `release`. */
  readonly flow: FlowSupport;

  constructor(
    private readonly db: SqlClient,
    private readonly deletes: DeleteBatcher,
    private readonly settings: DatabaseJobSourceSettings,
  ) {
    this.flow = {
      slots: new DatabaseFlowSlots(db),
      tickets: new DatabaseFlowTickets(db),
      leaseMs: settings.retryAfter,
    };
  }

  async take(queues: readonly string[]): Promise<JobLease | null> {
    void this.prune(); // a busy worker never idles: expired rows are pruned from here too
    try {
      for (;;) {
        if (this.buffer.length === 0) await this.fill(queues);
        const next = this.buffer.shift();
        if (!next) return null;
        const lease = await this.lease(next);
        if (!lease) continue;
        // A job a dead worker held runs alone (consume-loop.ts): the jobs reserved with it
        // (it came back to the available ones after a retry) go back at once, rather than
        // wait unrenewed in the buffer for it, and share its fate if it kills this worker.
        if ((lease.job.leaseLosses ?? 0) > 0 && this.buffer.length > 0) await this.release();
        return lease;
      }
    } catch (err) {
      throw this.settings.fatal?.(err) ?? err;
    }
  }

  idle(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    void this.prune();
    return this.waiter.wait(ms, signal);
  }

  /** A job was stored in this process: an idle loop looks now instead of after its wait. */
  notify(): void {
    this.waiter.wakeAll();
  }

  /** Hands back reserved jobs the loop never took (it stopped), so they run at once elsewhere. */
  async release(): Promise<void> {
    const left = this.buffer.splice(0);
    this.outstanding -= left.length;
    // Runnable again at once; their records never left `queued` (`running` is read from the reservation).
    await Promise.all(left.map(({ row }) => unreserveJob(this.db, row).catch(() => {}))); // else the lease brings them back
  }

  /** The store is closing: results not yet written are left to the lease. */
  close(): void {
    this.closing.abort();
    this.notify();
  }

  private async fill(queues: readonly string[]): Promise<void> {
    await nextTurn(); // let the jobs that finish in this same turn free their slots first
    const { concurrency, batchSize, maxJobs, retryAfter } = this.settings;
    let limit = Math.max(1, Math.min(batchSize, concurrency - this.outstanding));
    if (maxJobs !== undefined) limit = Math.min(limit, maxJobs - this.handedOut);
    if (limit <= 0) return;
    const now = Date.now();
    const keep = (queue: string, rows: ReservedRow[]): Buffered[] => {
      const kept = rows.map((row) => ({ queue, row, payload: parse(row.payload) }));
      this.buffer.push(...kept);
      this.outstanding += rows.length;
      this.handedOut += rows.length;
      return kept;
    };
    if (this.expiredLeft || now - this.lastExpiredCheck >= Math.min(this.settings.expiredCheckEvery, retryAfter)) {
      this.lastExpiredCheck = now;
      this.expiredLeft = false;
      for (const queue of queues) {
        const row = await reserveExpiredJob(this.db, queue, now, now - retryAfter);
        if (!row) continue;
        // A dead worker's job (poison isolation): reserved alone, never in a batch, and the
        // loop runs it alone. Others may have expired too: the next fill looks again.
        this.expiredLeft = true;
        this.started(keep(queue, [row]));
        return;
      }
    }
    const reserved: Buffered[] = [];
    for (const queue of queues) {
      reserved.push(
        ...keep(queue, await reserveJobs(this.db, 'available', queue, limit - this.buffer.length, now, now)),
      );
      if (this.buffer.length >= limit) break;
    }
    this.started(reserved);
  }

  /**
   * Counts the queue waits of the replay jobs just reserved that start their first attempt.
   * No statement: a record reads as `running` from its job's reservation (`readStatusRecord`).
   */
  private started(reserved: Buffered[]): void {
    const now = Date.now();
    this.deletes.counts.add(queueWaits(reserved, now), now);
  }

  /** A lease over a reserved row, or null when the row had to be failed without running (unreadable). */
  private async lease({ queue, row, payload }: Buffered): Promise<JobLease | null> {
    if (!isJobPayload(payload)) {
      await this.persist(Date.now(), () =>
        failUnreadableJob(this.db, { ...row, queue }, 'not a request-queue job (unknown payload shape)'),
      ).finally(() => this.outstanding--);
      return null;
    }
    const reservedAt = Date.now();
    const leaseLosses = payload.leaseLosses ?? 0;
    // Too many reservations without a result: its workers died running it (or an attempt
    // outlived database.retryAfter each time). It is not run again, but handed over once
    // more, to be failed with a failure outcome by the handler (the store contract).
    const exhausted = leasesExhausted(row.attempts, payload.tries);
    const held: HeldJob = {
      id: row.id,
      attempts: row.attempts,
      queue,
      payload,
      attempt: exhausted ? row.attempts - 1 : row.attempts,
    };
    const job: ReservedJob = exhausted
      ? {
          id: row.id,
          queue,
          payload,
          attempt: row.attempts - 1,
          leaseLosses: Math.max(1, leaseLosses),
          leasesExhausted: true,
        }
      : { id: row.id, queue, payload, attempt: row.attempts, leaseLosses };
    // While the handler runs, the lease is renewed every half lease, so an attempt longer
    // than retryAfter (a route with a long timeout) is not handed to a second worker. A
    // worker that dies or gives the job up (abandon) stops renewing: the job comes back.
    const renewal = setInterval(() => {
      renewReservation(this.db, held, Date.now()).catch(() => {}); // a missed renewal only shortens the lease
    }, this.settings.retryAfter / 2);
    let open = true;
    const finish = () => {
      clearInterval(renewal);
      if (open) this.outstanding--;
      open = false;
    };
    return {
      job,
      settle: (result, options) => {
        clearInterval(renewal);
        return this.settle(held, reservedAt, result, options?.handOver ?? false).finally(finish);
      },
      abandon: finish,
    };
  }

  /**
   * Writes a job's result; with `handOver`, its `next` delivery is stored already reserved by
   * this worker and comes back as its lease, to run next without a reservation round trip
   * (`insertReservedJob`).
   */
  private async settle(
    job: HeldJob,
    reservedAt: number,
    result: JobResult,
    handOver: boolean,
  ): Promise<JobLease | undefined> {
    const next = result.type === 'complete' || result.type === 'fail' ? result.next : undefined;
    const handed = await this.persist(reservedAt, () =>
      applyJobResult(this.db, this.deletes, job, result, reservedAt, handOver && next !== undefined),
    );
    if (next && handed) {
      this.outstanding++;
      this.handedOut++;
      const lease = await this.lease({
        queue: next.queue,
        row: { ...handed, payload: JSON.stringify(next.payload) },
        payload: next.payload,
      });
      return lease ?? undefined;
    }
    if (next && next.delayMs <= 0) this.settings.onStored(next.queue);
    return undefined;
  }

  /**
   * Writes a job's result, trying again while the database is away, until the lease has
   * passed (another worker may hold the job by then) or the store closes; then it rejects,
   * and the job, still reserved, runs again after its lease (at least once).
   */
  private async persist<T>(reservedAt: number, write: () => Promise<T>): Promise<T> {
    for (let failures = 0; ; failures++) {
      try {
        return await write();
      } catch (err) {
        const wait = Math.min(200 * 2 ** failures, MAX_BACKOFF_MS);
        if (this.closing.signal.aborted || Date.now() + wait - reservedAt >= this.settings.retryAfter) throw err;
        await sleep(wait, this.closing.signal);
      }
    }
  }

  /**
   * Deletes expired status records and claims when due, one prune at a time and never
   * awaited by the loop. A failed prune (or a process that dies mid-way) only leaves rows
   * for the next one: reads already ignore expired rows.
   */
  private async prune(): Promise<void> {
    const now = Date.now();
    if (this.pruning || this.closing.signal.aborted) return;
    this.pruning = true;
    try {
      if (now - this.lastStatusPrune >= STATUS_PRUNE_INTERVAL_MS) {
        this.lastStatusPrune = now;
        await pruneExpiredStatus(this.db, now, PRUNE_LIMIT).catch(() => {});
      }
      if (now - this.lastClaimPrune >= CLAIM_PRUNE_INTERVAL_MS) {
        this.lastClaimPrune = now;
        await pruneExpiredClaims(this.db, now, PRUNE_LIMIT).catch(() => {});
        await pruneThroughput(this.db, now - THROUGHPUT_KEEP_MS, PRUNE_LIMIT).catch(() => {});
        await pruneFlowSlots(this.db, now - FLOW_SLOT_KEEP_MS, PRUNE_LIMIT).catch(() => {}); // lib/flow
        await pruneFlowTickets(this.db, PRUNE_LIMIT).catch(() => {}); // lib/flow
      }
    } finally {
      this.pruning = false;
    }
  }
}

/**
 * The queue waits (start - `queuedAt`) of the replays among `reserved` that start their first
 * attempt (not those handed over only to be failed for lost leases, nor unreadable rows).
 */
function queueWaits(reserved: readonly Buffered[], now: number): ThroughputCount[] {
  return reserved.flatMap(({ queue, row, payload }) =>
    isJobPayload(payload) &&
    payload.kind === 'replay' &&
    row.attempts === 1 &&
    !leasesExhausted(row.attempts, payload.tries)
      ? [{ queue, waitMs: now - payload.queuedAt, waited: 1 }]
      : [],
  );
}

function parse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
