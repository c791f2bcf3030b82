import { minuteOf, type ThroughputPoint } from '../../../core/request-status.js';
import type { SqlExecutor } from '../sql-client.js';

/** What one settle batch adds to a queue's minute in `request_queue_throughput`. */
export type ThroughputCount = Pick<ThroughputPoint, 'queue'> & Partial<Omit<ThroughputPoint, 'queue' | 'at'>>;

/**
 * Adds counts to the minute `now` falls in, one upsert for all the queues of a batch
 * (rows in key order, so concurrent batches lock them in the same order). Called by
 * workers after the step it counts, with any number of workers at once.
 */
export async function countThroughput(db: SqlExecutor, counts: readonly ThroughputCount[], now: number): Promise<void> {
  const byQueue = new Map<string, ThroughputPoint>();
  const minute = minuteOf(now);
  for (const c of counts) {
    const p = byQueue.get(c.queue) ?? { at: minute, queue: c.queue, completed: 0, failed: 0, waitMs: 0, waited: 0 };
    p.completed += c.completed ?? 0;
    p.failed += c.failed ?? 0;
    p.waitMs += Math.max(0, Math.round(c.waitMs ?? 0));
    p.waited += c.waited ?? 0;
    byQueue.set(c.queue, p);
  }
  if (byQueue.size === 0) return;
  const rows = [...byQueue.values()].sort((a, b) => compareText(a.queue, b.queue));
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
