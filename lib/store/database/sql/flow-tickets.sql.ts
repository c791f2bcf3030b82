import type { FlowTickets, TicketHolder } from '../../../flow/flow-store.js';
import type { SqlClient, SqlExecutor } from '../sql-client.js';
import { isDuplicateKey } from '../sql-errors.js';

/**
 * Funnel lines (`FlowTickets`, lib/flow) in `request_queue_flow_tickets` (migration 0008):
 * one row per job in a funnel, (bucket, job_id). The ticket is the job's id, stored by
 * `insertJob` in the transaction that stores the job, so a key's jobs are lined up in the
 * order their 202s were given (ids grow with each insert; two requests of one key accepted
 * at the same moment are in either order). A ticket is live while its job's row is in
 * `jobs`: a completed job's row is deleted, a failed one moves to `failed_jobs`, a deleted
 * one is gone; a retry or a release keeps the row, and so the job's place.
 */

/** Puts a job that was just stored (in `tx`, the enqueue's transaction) in its funnel's line. */
export async function insertFlowTicket(tx: SqlExecutor, bucket: string, jobId: string): Promise<void> {
  await tx.run('INSERT INTO request_queue_flow_tickets (bucket, job_id) VALUES (?, ?)', [bucket, jobId]);
}

/**
 * A job's own ticket (when it has one), then up to `limit` live tickets before it, oldest
 * first: on the primary key's order, so a long line costs no more than `limit` rows.
 */
const TURN_SQL =
  'SELECT job_id FROM request_queue_flow_tickets WHERE bucket = ? AND job_id = ? UNION ALL ' +
  'SELECT job_id FROM (SELECT t.job_id FROM request_queue_flow_tickets t WHERE t.bucket = ? AND t.job_id < ? ' +
  'AND EXISTS (SELECT 1 FROM jobs j WHERE j.id = t.job_id) ORDER BY t.job_id LIMIT ?) ahead';

export class DatabaseFlowTickets implements FlowTickets {
  constructor(private readonly db: SqlClient) {}

  async turn(bucket: string, limit: number, job: TicketHolder): Promise<boolean> {
    const { rows } = await this.db.run(TURN_SQL, [bucket, job.id, bucket, job.id, limit]);
    const hasTicket = rows.some((row) => String(row.job_id) === job.id);
    if (!hasTicket) {
      // Queued without one (before migration 0008, or retried by hand): its id puts it
      // after every job queued before it.
      try {
        await insertFlowTicket(this.db, bucket, job.id);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    const ahead = rows.length - (hasTicket ? 1 : 0);
    return ahead < limit;
  }

  async remove(bucket: string, job: TicketHolder): Promise<void> {
    await this.db.run('DELETE FROM request_queue_flow_tickets WHERE bucket = ? AND job_id = ?', [bucket, job.id]);
  }
}

/** Deletes up to `limit` tickets whose job is gone (a final result whose `remove` was missed, a deleted job). */
export async function pruneFlowTickets(db: SqlExecutor, limit: number): Promise<number> {
  const { affected } =
    db.dialect === 'mysql'
      ? await db.run(
          'DELETE FROM request_queue_flow_tickets WHERE NOT EXISTS ' +
            '(SELECT 1 FROM jobs j WHERE j.id = request_queue_flow_tickets.job_id) LIMIT ?',
          [limit],
        )
      : await db.run(
          'DELETE FROM request_queue_flow_tickets WHERE (bucket, job_id) IN (SELECT t.bucket, t.job_id ' +
            'FROM request_queue_flow_tickets t WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = t.job_id) LIMIT ?)',
          [limit],
        );
  return affected;
}
