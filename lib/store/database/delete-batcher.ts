import type { SqlClient } from './sql-client.js';
import { deleteReservedJobIds, deleteReservedJobs, type JobToken } from './sql/jobs.sql.js';
import { markFinalBatch, type FinalRecord } from './sql/request-status.sql.js';

/** Most finished jobs deleted by one statement. */
const MAX_BATCH = 200;

interface Pending {
  token: JobToken;
  /** The `completed` record of a replay job, written only if its job is deleted. */
  record?: FinalRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Deletes finished jobs in groups: every job finished in the same turn of the event loop
 * goes in one `DELETE … WHERE (id = ? AND attempts = ?) OR …`, so a worker running many
 * jobs at once commits once per group instead of once per job. A group with completed
 * replay jobs is one transaction that deletes the jobs still held and writes the final
 * records of exactly those, in one statement: each record changes with its job, as if
 * each job had its own transaction.
 */
export class DeleteBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly db: SqlClient) {}

  /**
   * Resolves once the job's row is gone (or was no longer this worker's to delete), and
   * `record`, if given, written with it.
   */
  delete(token: JobToken, record?: FinalRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ token, record, resolve, reject });
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
        () => batch.forEach((p) => p.resolve()),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const tokens = batch.map((p) => p.token);
    if (!batch.some((p) => p.record)) {
      await deleteReservedJobs(this.db, tokens);
      return;
    }
    await this.db.transaction(async (tx) => {
      const deleted = await deleteReservedJobIds(tx, tokens);
      const records = batch.flatMap((p) => (p.record && deleted.has(p.token.id) ? [p.record] : []));
      await markFinalBatch(tx, 'completed', records, Date.now());
    });
  }
}
