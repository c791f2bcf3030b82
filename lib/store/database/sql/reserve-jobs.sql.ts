import type { SqlClient, SqlExecutor } from '../sql-client.js';

/** A job row as a reservation hands it back (`attempts` already counts this reservation). */
export interface ReservedRow {
  id: string;
  payload: string;
  attempts: number;
}

/** Which rows a reservation looks at. */
type Candidates = 'available' | 'expired';

/*
 * Both shapes are range scans of the index (queue, reserved_at, available_at, id) in index
 * order, so a locking read stops after `limit` rows instead of locking every candidate:
 * - available: queue = ? AND reserved_at IS NULL AND available_at <= now, oldest first
 * - expired:   queue = ? AND reserved_at <= now - retryAfter (a dead or stuck worker's lease)
 */
const WHERE: Record<Candidates, string> = {
  available: 'queue = ? AND reserved_at IS NULL AND available_at <= ? ORDER BY available_at, id',
  expired: 'queue = ? AND reserved_at <= ? ORDER BY reserved_at, available_at, id',
};

/**
 * Reserves up to `limit` jobs of `queue` for this worker: sets `reserved_at = now` and
 * counts an attempt. `bound` is `now` for available jobs, and `now - retryAfter` for
 * expired leases.
 *
 * - MySQL/MariaDB (Laravel's DatabaseQueue): in one transaction, `SELECT … FOR UPDATE
 *   SKIP LOCKED`, then `UPDATE … WHERE id IN (…)`. Workers skip each other's rows.
 * - PostgreSQL: one statement, `WITH picked AS MATERIALIZED (SELECT … FOR UPDATE SKIP LOCKED)
 *   UPDATE … FROM picked … RETURNING`.
 * - SQLite: the same single statement without row locks (SQLite has one writer at a time,
 *   and one statement is atomic).
 */
export async function reserveJobs(
  db: SqlClient,
  candidates: Candidates,
  queue: string,
  limit: number,
  now: number,
  bound: number,
): Promise<ReservedRow[]> {
  const select = (columns: string) => `SELECT ${columns} FROM jobs WHERE ${WHERE[candidates]} LIMIT ?`;
  if (db.dialect === 'mysql') {
    return db.transaction((tx) => reserveMysql(tx, select('id, payload, attempts'), queue, limit, now, bound));
  }
  // PostgreSQL: a MATERIALIZED CTE runs the locking SELECT exactly once, whatever the plan.
  const { rows } =
    db.dialect === 'postgres'
      ? await db.run(
          `WITH picked AS MATERIALIZED (${select('id')} FOR UPDATE SKIP LOCKED) ` +
            'UPDATE jobs SET reserved_at = ?, attempts = attempts + 1 FROM picked WHERE jobs.id = picked.id ' +
            'RETURNING jobs.id, jobs.payload, jobs.attempts, jobs.available_at',
          [queue, bound, limit, now],
        )
      : await db.run(
          `UPDATE jobs SET reserved_at = ?, attempts = attempts + 1 WHERE id IN (${select('id')}) ` +
            'RETURNING id, payload, attempts, available_at',
          [now, queue, bound, limit],
        );
  return rows
    .map((row) => ({ row: toReserved(row), availableAt: Number(row.available_at) }))
    .sort((a, b) => a.availableAt - b.availableAt || Number(a.row.id) - Number(b.row.id))
    .map((r) => r.row);
}

async function reserveMysql(
  tx: SqlExecutor,
  select: string,
  queue: string,
  limit: number,
  now: number,
  bound: number,
): Promise<ReservedRow[]> {
  const locked = await tx.run(`${select} FOR UPDATE SKIP LOCKED`, [queue, bound, limit]);
  if (locked.rows.length === 0) return [];
  const ids = locked.rows.map((row) => row.id);
  await tx.run(
    `UPDATE jobs SET reserved_at = ?, attempts = attempts + 1 WHERE id IN (${ids.map(() => '?').join(', ')})`,
    [now, ...ids],
  );
  return locked.rows.map((row) => {
    const reserved = toReserved(row);
    return { ...reserved, attempts: reserved.attempts + 1 };
  });
}

function toReserved(row: Record<string, unknown>): ReservedRow {
  return { id: String(row.id), payload: String(row.payload), attempts: Number(row.attempts) };
}
