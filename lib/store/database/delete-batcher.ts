import type { SqlClient } from './sql-client.js';
import { deleteReservedJobs, type JobToken } from './sql/jobs.sql.js';

/** Most finished jobs deleted by one statement. */
const MAX_BATCH = 200;

/**
 * Deletes finished jobs in groups: every job finished in the same turn of the event loop
 * goes in one `DELETE … WHERE (id = ? AND attempts = ?) OR …`, so a worker running many
 * jobs at once commits once per group instead of once per job.
 */
export class DeleteBatcher {
  private pending: { token: JobToken; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly db: SqlClient) {}

  /** Resolves once the job's row is gone (or was no longer this worker's to delete). */
  delete(token: JobToken): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ token, resolve, reject });
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
      deleteReservedJobs(
        this.db,
        batch.map((p) => p.token),
      ).then(
        () => batch.forEach((p) => p.resolve()),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
    }
  }
}
