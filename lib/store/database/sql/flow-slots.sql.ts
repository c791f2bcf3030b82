import { deleteBounded } from './prune-expired.sql.js';
import type { FlowSlots, SlotTake } from '../../../flow/flow-store.js';
import type { RunningJob } from './request-status.sql.js';
import type { JobToken } from './jobs.sql.js';
import type { SqlClient, SqlExecutor } from '../sql-client.js';
import { isDuplicateKey } from '../sql-errors.js';

/**
 * Flow control slots (`lib/flow`) in `request_queue_flow_slots` (migration 0007): one row
 * per slot, keyed by (bucket, slot_no) with slot_no below the limit, holding its holder and
 * when it frees (`expires_at`, unix ms). A slot is taken by one conditional UPDATE of a
 * free row, or by an INSERT of a missing one; the primary key settles races, so the limit
 * holds across processes without locks or transactions, on every dialect.
 */
export class DatabaseFlowSlots implements FlowSlots {
  constructor(private readonly db: SqlClient) {}

  async take(bucket: string, limit: number, holder: string, holdMs: number, now: number): Promise<SlotTake> {
    const { rows } = await this.db.run(
      'SELECT slot_no, expires_at FROM request_queue_flow_slots WHERE bucket = ? AND slot_no < ?',
      [bucket, limit],
    );
    const seen = new Map(rows.map((row) => [Number(row.slot_no), Number(row.expires_at)] as const));
    for (const [slot, expiresAt] of seen) {
      if (expiresAt > now) continue;
      const { affected } = await this.db.run(
        'UPDATE request_queue_flow_slots SET holder = ?, expires_at = ? ' +
          'WHERE bucket = ? AND slot_no = ? AND expires_at <= ?',
        [holder, now + holdMs, bucket, slot, now],
      );
      if (affected === 1) return { taken: true };
    }
    for (let slot = 0; slot < limit; slot++) {
      if (seen.has(slot)) continue;
      try {
        await this.db.run(
          'INSERT INTO request_queue_flow_slots (bucket, slot_no, holder, expires_at) VALUES (?, ?, ?, ?)',
          [bucket, slot, holder, now + holdMs],
        );
        return { taken: true };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // another worker took this one first
      }
    }
    // All held (or lost to a race): wait for the first to free, read again.
    const first = await this.db.run(
      'SELECT MIN(expires_at) AS free_at FROM request_queue_flow_slots WHERE bucket = ? AND slot_no < ?',
      [bucket, limit],
    );
    const freeAt = Number(first.rows[0]?.free_at ?? now);
    return { taken: false, freeAt: Math.max(now, Number.isFinite(freeAt) ? freeAt : now) };
  }

  async renew(bucket: string, holder: string, holdMs: number, now: number): Promise<void> {
    await this.db.run('UPDATE request_queue_flow_slots SET expires_at = ? WHERE bucket = ? AND holder = ?', [
      now + holdMs,
      bucket,
      holder,
    ]);
  }

  async give(bucket: string, holder: string): Promise<void> {
    await this.db.run('UPDATE request_queue_flow_slots SET expires_at = 0 WHERE bucket = ? AND holder = ?', [
      bucket,
      holder,
    ]);
  }
}

/** Deletes up to `limit` slot rows that freed before `olderThan` (their buckets went quiet). */
export function pruneFlowSlots(db: SqlExecutor, olderThan: number, limit: number): Promise<number> {
  return deleteBounded(db, 'request_queue_flow_slots', ['bucket', 'slot_no'], 'expires_at <= ?', [olderThan], limit);
}

/**
 * Flow control held a reserved job back (a `release` result): runnable at `availableAt`,
 * the reservation undone (`attempts` back by one, as `unreserveJob`), so it is not an
 * attempt; its status record says `queued` again, with when it may run. False if the job
 * is no longer held.
 */
export async function releaseHeldBack(
  tx: SqlExecutor,
  token: JobToken,
  availableAt: number,
  record: RunningJob | undefined,
  now: number,
): Promise<boolean> {
  const { affected } = await tx.run(
    'UPDATE jobs SET reserved_at = NULL, available_at = ?, attempts = attempts - 1 WHERE id = ? AND attempts = ?',
    [availableAt, token.id, token.attempts],
  );
  if (affected !== 1) return false;
  if (record) {
    // The attempts made so far (this reservation was not one); a final record is left alone.
    await tx.run(
      "UPDATE request_queue_requests SET state = 'queued', attempts = ?, next_attempt_at = ?, updated_at = ? " +
        'WHERE correlation_id = ? AND job_id = ? AND expires_at IS NULL',
      [record.attempts - 1, availableAt, now, record.correlationId, record.jobId],
    );
  }
  return true;
}
