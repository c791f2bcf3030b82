import type { ThroughputPoint } from '../../../core/request-status.js';
import type { SqlExecutor } from '../sql-client.js';

/** What a step adds to a queue's current minute (see `ThroughputCounter`). */
export type ThroughputCount = Pick<ThroughputPoint, 'queue'> & Partial<Omit<ThroughputPoint, 'queue' | 'at'>>;

/**
 * Adds the points' counts to their rows (created at zero), one upsert for all of them, in
 * key order so that concurrent writers lock rows in the same order. Points must not repeat
 * a (minute, queue) (PostgreSQL refuses to update a row twice in one statement).
 */
export async function upsertThroughput(db: SqlExecutor, points: readonly ThroughputPoint[]): Promise<void> {
  if (points.length === 0) return;
  const rows = [...points].sort((a, b) => a.at - b.at || compareText(a.queue, b.queue));
  const sums = ['completed', 'failed', 'wait_ms', 'waited'];
  const update =
    db.dialect === 'mysql'
      ? `ON DUPLICATE KEY UPDATE ${sums.map((c) => `${c} = ${c} + VALUES(${c})`).join(', ')}`
      : `ON CONFLICT (minute, queue) DO UPDATE SET ${sums
          .map((c) => `${c} = request_queue_throughput.${c} + excluded.${c}`)
          .join(', ')}`;
  await db.run(
    `INSERT INTO request_queue_throughput (minute, queue, completed, failed, wait_ms, waited) VALUES ` +
      `${rows.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')} ${update}`,
    rows.flatMap((r) => [r.at, r.queue, r.completed, r.failed, r.waitMs, r.waited]),
  );
}

/** The points of minutes starting at or after `sinceMs`, sorted by minute then queue (code-unit order). */
export async function readThroughput(db: SqlExecutor, sinceMs: number): Promise<ThroughputPoint[]> {
  const { rows } = await db.run(
    'SELECT minute, queue, completed, failed, wait_ms, waited FROM request_queue_throughput WHERE minute >= ?',
    [sinceMs],
  );
  return rows
    .map((row) => ({
      at: Number(row.minute),
      queue: String(row.queue),
      completed: Number(row.completed),
      failed: Number(row.failed),
      waitMs: Number(row.wait_ms),
      waited: Number(row.waited),
    }))
    .sort((a, b) => a.at - b.at || compareText(a.queue, b.queue));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
