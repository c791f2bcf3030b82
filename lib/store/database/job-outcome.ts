import type { JobPayload, JobResult } from '../../core/job.js';
import { attemptEntry, type FinalStatus, type TimelineEntry } from '../../core/request-status.js';
import type { DeleteBatcher } from './delete-batcher.js';
import type { SqlClient, SqlExecutor } from './sql-client.js';
import { failedPayload, insertFailedJob } from './sql/failed-jobs.sql.js';
import { deleteReservedJobs, insertJob, insertReservedJob, releaseReservedJob, type JobToken } from './sql/jobs.sql.js';
import { releaseHeldBack } from './sql/flow-slots.sql.js';
import { markFinal, markRetrying, type FinalRecord } from './sql/request-status.sql.js';
import { appendCallbackEntries, type CallbackEntry } from './sql/timeline.sql.js';

/** How long a final record without a sealed result (a replay result that carried no `status`) is kept. */
const KEEP_WITHOUT_STATUS_MS = 24 * 60 * 60 * 1000;

/** A job this worker holds: its reservation token and what it is. */
export interface HeldJob extends JobToken {
  queue: string;
  payload: JobPayload;
  /** The attempt as the handler saw it (`ReservedJob.attempt`): the count its status record keeps. */
  attempt: number;
}

/**
 * Applies what the handler decided, only while this worker still holds the job (its
 * reservation token matches). A job that was lost to an expired lease is left to the
 * worker that holds it now, `next` included, so the outcome is not stored twice.
 * Finishing a job, storing its `next` job (the callback) and writing a replay's status
 * record happen in one transaction: a crash between them cannot drop the callback, nor
 * leave a record saying final for a job that will run again (or the reverse). The
 * attempt's timeline entry (taken at `startedAt`) is written in that same transaction: a
 * replay's with its record, a callback delivery's on its request's record. A replay that
 * ended is counted in the minute's throughput (`ThroughputCounter`) once it committed.
 * With `handOver`, a complete or fail stores its `next` already reserved by this worker
 * (`insertReservedJob`) and resolves to its token, for the worker to run it next.
 */
export async function applyJobResult(
  db: SqlClient,
  deletes: DeleteBatcher,
  job: HeldJob,
  result: JobResult,
  startedAt: number,
  handOver = false,
): Promise<JobToken | undefined> {
  const now = Date.now();
  const replay = job.payload.kind === 'replay';
  const error = result.type === 'complete' ? undefined : result.error;
  const entry = attemptEntry(job.payload.kind, job.attempts, startedAt, result.note, error, now);
  const callback = replay ? undefined : callbackEntry(job, entry);
  switch (result.type) {
    case 'complete':
      // Batched: the delete, the next job, the final record or the delivery's entry in one
      // transaction per batch (see DeleteBatcher), which also counts the replays it finished.
      return deletes.delete(job, {
        next: result.next,
        record: replay ? finalRecord(job, result.status, now, entry) : undefined,
        callback,
        handOver,
      });
    case 'retry': {
      const availableAt = now + Math.max(0, result.delayMs);
      await db.transaction(async (tx) => {
        if (!(await releaseReservedJob(tx, job, availableAt))) return;
        if (replay) await markRetrying(tx, job.payload.correlationId, job.id, job.attempt, availableAt, now, entry);
        else await appendCallbackEntries(tx, [callback!], now);
      });
      return undefined;
    }
    case 'release': {
      // Held back by flow control: not an attempt (the reservation is undone).
      const running = replay
        ? { correlationId: job.payload.correlationId, jobId: job.id, attempts: job.attempts }
        : undefined;
      await db.transaction((tx) => releaseHeldBack(tx, job, now + Math.max(1, result.delayMs), running, now));
      return undefined;
    }
    case 'fail': {
      let handed: JobToken | undefined;
      const failed = await db.transaction(async (tx) => {
        handed = undefined; // a transaction run again starts over
        if ((await deleteReservedJobs(tx, [job])) !== 1) return false;
        await insertFailedJob(tx, job.queue, failedPayload(job.payload, job.attempts), result.error, now);
        if (result.next && handOver) handed = await insertReservedJob(tx, result.next, now);
        else if (result.next) await insertJob(tx, result.next, now);
        if (replay) await writeFinal(tx, job, 'failed', result.status, now, entry);
        else await appendCallbackEntries(tx, [callback!], now);
        return true;
      });
      if (failed && replay) deletes.counts.add([{ queue: job.queue, failed: 1 }], now);
      return failed ? handed : undefined;
    }
  }
}

/** A replay's final record: its sealed outcome for `keepMs`, or (no `status` given) none, kept a day. */
function writeFinal(
  tx: SqlExecutor,
  job: HeldJob,
  state: 'completed' | 'failed',
  status: FinalStatus | undefined,
  now: number,
  entry: TimelineEntry,
): Promise<void> {
  const keepMs = status?.keepMs ?? KEEP_WITHOUT_STATUS_MS;
  return markFinal(
    tx,
    job.payload.correlationId,
    job.id,
    job.attempt,
    state,
    status?.result ?? null,
    keepMs,
    now,
    entry,
  );
}

/** A replay's `completed` record for the delete batcher: as `writeFinal` writes it. */
function finalRecord(job: HeldJob, status: FinalStatus | undefined, now: number, entry: TimelineEntry): FinalRecord {
  const keepMs = status?.keepMs ?? KEEP_WITHOUT_STATUS_MS;
  return {
    correlationId: job.payload.correlationId,
    jobId: job.id,
    queue: job.queue,
    attempts: job.attempt,
    result: status?.result ?? null,
    expiresAt: now + Math.max(0, keepMs),
    entry,
  };
}

/** A callback delivery's entry, for its request's record (found by correlation id and `queuedAt`). */
function callbackEntry(job: HeldJob, entry: TimelineEntry): CallbackEntry {
  return { correlationId: job.payload.correlationId, queuedAt: job.payload.queuedAt, entry };
}

/** Moves a held job that cannot be run (unreadable payload) straight to failed jobs. */
export async function failUnreadableJob(
  db: SqlClient,
  job: JobToken & { queue: string; payload: string },
  error: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    if ((await deleteReservedJobs(tx, [job])) !== 1) return;
    await insertFailedJob(tx, job.queue, job.payload, error, Date.now());
  });
}
