import type { NewJob } from '../../core/job.js';
import type { SqlClient } from './sql-client.js';
import { ThroughputCounter } from './throughput-counter.js';
import {
  deleteReservedJobIds,
  deleteReservedJobs,
  insertJobs,
  insertReservedJob,
  LeaseCheckNeeded,
  type JobToken,
} from './sql/jobs.sql.js';
import { markFinalBatch, type FinalRecord } from './sql/request-status.sql.js';
import { appendCallbackEntries, type CallbackEntry } from './sql/timeline.sql.js';

/** Most finished jobs deleted by one statement. */
const MAX_BATCH = 200;

/** What else a finished job changes, only if it is still held (and so deleted). */
export interface Finish {
  /** The job the result stores (a replay's callback). */
  next?: NewJob;
  /** A replay job's `completed` record. */
  record?: FinalRecord;
  /** A callback job's entry on its request's timeline. */
  callback?: CallbackEntry;
  /** Store `next` already reserved by this worker (handed over): `delete` resolves to its token. */
  handOver?: boolean;
}

interface Pending extends Finish {
  token: JobToken;
  resolve: (handed: JobToken | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * Deletes finished jobs in groups: every job finished in the same turn of the event loop
 * goes in one `DELETE … WHERE (id = ? AND attempts = ?) OR …`, so a worker running many
 * jobs at once commits once per group instead of once per job. A group where a job
 * stores a next job or writes a record is one transaction that deletes the jobs still held
 * and, for exactly those, inserts their next jobs (one statement), writes their final
 * records (one statement) and their deliveries' timeline entries (one statement): each
 * job's changes commit together, as if each job had its own transaction. The replays it
 * completed are then counted in the minute's throughput (`counts`).
 */
export class DeleteBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  /** This process's throughput counts (replays finished, queue waits), written once a second. */
  readonly counts: ThroughputCounter;

  constructor(private readonly db: SqlClient) {
    this.counts = new ThroughputCounter(db);
  }

  /**
   * Resolves once the job's row is gone, with `finish` stored in the same transaction (or
   * once the job was found no longer this worker's: then nothing is changed).
   */
  delete(token: JobToken, finish: Finish = {}): Promise<JobToken | undefined> {
    return new Promise<JobToken | undefined>((resolve, reject) => {
      this.pending.push({ token, ...finish, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      this.write(batch).then(
        (handed) => batch.forEach((p) => p.resolve(handed.get(p))),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
    }
  }

  /** Resolves to the tokens of the next jobs handed over, by the job that stored each. */
  private async write(batch: Pending[]): Promise<Map<Pending, JobToken>> {
    const tokens = batch.map((p) => p.token);
    if (!batch.some((p) => p.record || p.next || p.callback)) {
      await deleteReservedJobs(this.db, tokens);
      return new Map();
    }
    const now = Date.now();
    const { records, handed } = await this.finish(batch, tokens, now, false).catch((err: unknown) => {
      // A lease in the batch was lost: nothing was committed; again, finding out which first.
      if (err instanceof LeaseCheckNeeded) return this.finish(batch, tokens, now, true);
      throw err;
    });
    this.counts.add(
      records.map((r) => ({ queue: r.queue, completed: 1 })),
      now,
    );
    return handed;
  }

  /** One transaction: the batch's jobs deleted, with their next jobs, final records and delivery entries. */
  private finish(
    batch: Pending[],
    tokens: JobToken[],
    now: number,
    lockFirst: boolean,
  ): Promise<{ records: FinalRecord[]; handed: Map<Pending, JobToken> }> {
    return this.db.transaction(async (tx) => {
      const deleted = await deleteReservedJobIds(tx, tokens, lockFirst);
      const held = batch.filter((p) => deleted.has(p.token.id));
      await insertJobs(
        tx,
        held.flatMap((p) => (p.next && !p.handOver ? [p.next] : [])),
        now,
      );
      // One statement each: their ids are needed (a multi-row insert's are not reported).
      const handed = new Map<Pending, JobToken>();
      for (const p of held) if (p.next && p.handOver) handed.set(p, await insertReservedJob(tx, p.next, now));
      const records = held.flatMap((p) => (p.record ? [p.record] : []));
      await markFinalBatch(tx, 'completed', records, now);
      await appendCallbackEntries(
        tx,
        held.flatMap((p) => (p.callback ? [p.callback] : [])),
        now,
      );
      return { records, handed };
    });
  }
}
