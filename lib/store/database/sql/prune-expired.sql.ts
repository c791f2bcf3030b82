import type { SqlExecutor } from '../sql-client.js';

/** Tables whose rows carry an `expires_at` (unix ms) after which they are dead, and their key. */
const EXPIRING = {
  request_queue_claims: 'correlation_id',
  request_queue_requests: 'correlation_id',
} as const;

/**
 * Deletes up to `limit` rows of `table` that expired at or before `now`; resolves to how
 * many. Bounded, so one call never holds locks on a large backlog: the next call takes the
 * rest. Rows with a null `expires_at` never expire. MySQL/MariaDB has `DELETE … LIMIT`; the
 * others delete by key from a limited subquery.
 */
export async function pruneExpired(
  db: SqlExecutor,
  table: keyof typeof EXPIRING,
  now: number,
  limit: number,
): Promise<number> {
  const key = EXPIRING[table];
  const { affected } =
    db.dialect === 'mysql'
      ? await db.run(`DELETE FROM ${table} WHERE expires_at <= ? LIMIT ?`, [now, limit])
      : await db.run(
          `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE expires_at <= ? LIMIT ?)`,
          [now, limit],
        );
  return affected;
}

/**
 * Deletes up to `limit` rows of `request_queue_throughput` whose minute started before
 * `before` (the counts are kept `THROUGHPUT_KEEP_MS`); resolves to how many. Bounded as above.
 */
export async function pruneThroughput(db: SqlExecutor, before: number, limit: number): Promise<number> {
  const { affected } =
    db.dialect === 'mysql'
      ? await db.run('DELETE FROM request_queue_throughput WHERE minute < ? LIMIT ?', [before, limit])
      : await db.run(
          'DELETE FROM request_queue_throughput WHERE (minute, queue) IN ' +
            '(SELECT minute, queue FROM request_queue_throughput WHERE minute < ? LIMIT ?)',
          [before, limit],
        );
  return affected;
}
