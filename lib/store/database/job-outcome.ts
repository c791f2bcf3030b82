import type { JobPayload, JobResult } from '../../core/job.js';
import type { DeleteBatcher } from './delete-batcher.js';
import type { SqlClient } from './sql-client.js';
import { failedPayload, insertFailedJob } from './sql/failed-jobs.sql.js';
import { deleteReservedJobs, insertJob, releaseReservedJob, type JobToken } from './sql/jobs.sql.js';

/** A job this worker holds: its reservation token and what it is. */
export interface HeldJob extends JobToken {
  queue: string;
  payload: JobPayload;
}

/**
 * Applies what the handler decided, only while this worker still holds the job (its
 * reservation token matches). A job that was lost to an expired lease is left to the
 * worker that holds it now, `next` included, so the outcome is not stored twice.
 * Finishing a job and storing its `next` job (the callback) happen in one transaction:
 * a crash between them cannot drop the callback.
 */
export async function applyJobResult(
  db: SqlClient,
  deletes: DeleteBatcher,
  job: HeldJob,
  result: JobResult,
): Promise<void> {
  const now = Date.now();
  switch (result.type) {
    case 'complete':
      if (!result.next) return deletes.delete(job);
      await db.transaction(async (tx) => {
        if ((await deleteReservedJobs(tx, [job])) === 1) await insertJob(tx, result.next!, now);
      });
      return;
    case 'retry':
      await releaseReservedJob(db, job, now + Math.max(0, result.delayMs));
      return;
    case 'fail':
      await db.transaction(async (tx) => {
        if ((await deleteReservedJobs(tx, [job])) !== 1) return;
        await insertFailedJob(tx, job.queue, failedPayload(job.payload, job.attempts), result.error, now);
        if (result.next) await insertJob(tx, result.next, now);
      });
      return;
  }
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
