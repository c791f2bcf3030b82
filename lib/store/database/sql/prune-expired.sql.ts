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
export function pruneExpired(
  db: SqlExecutor,
  table: keyof typeof EXPIRING,
  now: number,
  limit: number,
): Promise<number> {
  return deleteBounded(db, table, [EXPIRING[table]], 'expires_at <= ?', [now], limit);
}

/**
 * Deletes up to `limit` rows of `table` that match `where` (a constant condition whose `?`
 * take `params`); resolves to how many. MySQL/MariaDB has `DELETE … LIMIT`; the others delete
 * by `key` (the primary key's columns) from a limited subquery. Table, key and condition are
 * the caller's constants, never input.
 */
export async function deleteBounded(
  db: SqlExecutor,
  table: string,
  key: readonly string[],
  where: string,
  params: readonly unknown[],
  limit: number,
): Promise<number> {
  const columns = key.join(', ');
  const { affected } =
    db.dialect === 'mysql'
      ? await db.run(`DELETE FROM ${table} WHERE ${where} LIMIT ?`, [...params, limit])
      : await db.run(
          `DELETE FROM ${table} WHERE ${key.length > 1 ? `(${columns})` : columns} IN ` +
            `(SELECT ${columns} FROM ${table} WHERE ${where} LIMIT ?)`,
          [...params, limit],
        );
  return affected;
}

/**
 * Deletes up to `limit` rows of `request_queue_throughput` whose minute started before
 * `before` (the counts are kept `THROUGHPUT_KEEP_MS`); resolves to how many. Bounded as above.
 */
export function pruneThroughput(db: SqlExecutor, before: number, limit: number): Promise<number> {
  return deleteBounded(db, 'request_queue_throughput', ['minute', 'queue'], 'minute < ?', [before], limit);
}
