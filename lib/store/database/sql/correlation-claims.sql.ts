import type { SqlExecutor } from '../sql-client.js';
import { isDuplicateKey } from '../sql-errors.js';
import { pruneExpired } from './prune-expired.sql.js';

/**
 * Claims `correlationId` until `expiresAt`, unless a claim that is still live holds it.
 * True when this call won. An expired claim is taken over, so an id blocks reuse for
 * `correlationTtl` and no longer.
 *
 * PostgreSQL and SQLite do it in one statement (an upsert that only overwrites an expired
 * claim). MySQL/MariaDB has no such upsert that reports cleanly whether it wrote (its
 * affected-rows count depends on the client's FOUND_ROWS flag), so it inserts and, on a
 * duplicate key, takes over the old row only if that one has expired. It reads the old
 * row without a lock first: the usual duplicate (a live claim, maybe many at once) then
 * ends without asking for the row's write lock, which concurrent losers would deadlock on.
 */
export async function claimCorrelationId(
  db: SqlExecutor,
  correlationId: string,
  now: number,
  expiresAt: number,
): Promise<boolean> {
  if (db.dialect !== 'mysql') {
    const { rows } = await db.run(
      'INSERT INTO request_queue_claims (correlation_id, expires_at) VALUES (?, ?) ' +
        'ON CONFLICT (correlation_id) DO UPDATE SET expires_at = excluded.expires_at ' +
        'WHERE request_queue_claims.expires_at <= ? RETURNING correlation_id',
      [correlationId, expiresAt, now],
    );
    return rows.length === 1;
  }
  if (await insertClaim(db, correlationId, expiresAt)) return true;
  const { rows } = await db.run('SELECT expires_at FROM request_queue_claims WHERE correlation_id = ?', [
    correlationId,
  ]);
  if (rows.length > 0 && Number(rows[0]!.expires_at) > now) return false;
  const { affected } = await db.run('DELETE FROM request_queue_claims WHERE correlation_id = ? AND expires_at <= ?', [
    correlationId,
    now,
  ]);
  return affected === 1 && (await insertClaim(db, correlationId, expiresAt));
}

async function insertClaim(db: SqlExecutor, correlationId: string, expiresAt: number): Promise<boolean> {
  try {
    await db.run('INSERT INTO request_queue_claims (correlation_id, expires_at) VALUES (?, ?)', [
      correlationId,
      expiresAt,
    ]);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** Deletes up to `limit` claims that expired before `now`; resolves to how many. */
export function pruneExpiredClaims(db: SqlExecutor, now: number, limit: number): Promise<number> {
  return pruneExpired(db, 'request_queue_claims', now, limit);
}
