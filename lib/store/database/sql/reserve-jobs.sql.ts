import type { SqlClient } from '../sql-client.js';

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
 * order, so a read stops after `limit` rows:
 * - available: queue = ? AND reserved_at IS NULL AND available_at <= now, oldest first
 * - expired:   queue = ? AND reserved_at <= now - retryAfter (a dead or stuck worker's lease)
 */
const CONDITION: Record<Candidates, string> = {
  available: 'queue = ? AND reserved_at IS NULL AND available_at <= ?',
  expired: 'queue = ? AND reserved_at <= ?',
};
const ORDER: Record<Candidates, string> = {
  available: 'available_at, id',
  expired: 'reserved_at, available_at, id',
};

/** Rounds a MySQL/MariaDB reservation tries while other workers take every job it picked. */
const MYSQL_ROUNDS = 5;

/**
 * Reserves up to `limit` jobs of `queue` for this worker: sets `reserved_at = now` and
 * counts an attempt. `bound` is `now` for available jobs, and `now - retryAfter` for
 * expired leases.
 *
 * - MySQL/MariaDB: a plain read picks the jobs, then one transaction locks them by primary
 *   key (`FOR UPDATE SKIP LOCKED`), checks they are still free, and updates them
 *   (`reserveMysql` says why not one locking range scan, as Laravel's DatabaseQueue does).
 * - PostgreSQL: one statement, `WITH picked AS MATERIALIZED (SELECT … FOR UPDATE SKIP LOCKED)
 *   UPDATE … FROM picked … RETURNING`. Its row locks are on the rows it returns only.
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
  if (db.dialect === 'mysql') return reserveMysql(db, candidates, queue, limit, now, bound);
  const select = `SELECT id FROM jobs WHERE ${CONDITION[candidates]} ORDER BY ${ORDER[candidates]} LIMIT ?`;
  // PostgreSQL: a MATERIALIZED CTE runs the locking SELECT exactly once, whatever the plan.
  const { rows } =
    db.dialect === 'postgres'
      ? await db.run(
          `WITH picked AS MATERIALIZED (${select} FOR UPDATE SKIP LOCKED) ` +
            'UPDATE jobs SET reserved_at = ?, attempts = attempts + 1 FROM picked WHERE jobs.id = picked.id ' +
            'RETURNING jobs.id, jobs.payload, jobs.attempts, jobs.available_at',
          [queue, bound, limit, now],
        )
      : await db.run(
          `UPDATE jobs SET reserved_at = ?, attempts = attempts + 1 WHERE id IN (${select}) ` +
            'RETURNING id, payload, attempts, available_at',
          [now, queue, bound, limit],
        );
  return rows
    .map((row) => ({ row: toReserved(row), availableAt: Number(row.available_at) }))
    .sort((a, b) => a.availableAt - b.availableAt || Number(a.row.id) - Number(b.row.id))
    .map((r) => r.row);
}

/**
 * Not a locking range scan (`SELECT … WHERE queue = ? … LIMIT ? FOR UPDATE SKIP LOCKED`):
 * on InnoDB, a scan that finds fewer than `limit` rows reads on to the first index entry
 * past its range and locks it (next-key lock, kept until commit, under REPEATABLE READ and
 * READ COMMITTED alike). That entry is often the next queue's oldest ready job, so every
 * idle worker's empty reservation locked another queue's job for a moment, and that
 * queue's worker, skipping locked rows, saw its job as not there: a worker with
 * stopWhenEmpty ended with jobs left, others waited an idle period for nothing.
 *
 * So the jobs are picked by a plain read (no locks), then locked by primary key, which
 * locks exactly those rows; the lock re-reads them and the WHERE checks that each is still
 * free (another worker may have reserved it since). Jobs another worker holds are skipped,
 * as before. When every picked job was gone, the next round picks past them.
 */
async function reserveMysql(
  db: SqlClient,
  candidates: Candidates,
  queue: string,
  limit: number,
  now: number,
  bound: number,
): Promise<ReservedRow[]> {
  const passed: unknown[] = [];
  for (let round = 0; round < MYSQL_ROUNDS; round++) {
    const notPassed = passed.length > 0 ? ` AND id NOT IN (${marks(passed)})` : '';
    const picked = await db.run(
      `SELECT id FROM jobs WHERE ${CONDITION[candidates]}${notPassed} ORDER BY ${ORDER[candidates]} LIMIT ?`,
      [queue, bound, ...passed, limit],
    );
    if (picked.rows.length === 0) return [];
    const ids = picked.rows.map((row) => row.id);
    const reserved = await db.transaction(async (tx) => {
      const locked = await tx.run(
        `SELECT id, payload, attempts FROM jobs FORCE INDEX (PRIMARY) WHERE id IN (${marks(ids)}) ` +
          `AND ${CONDITION[candidates]} ORDER BY ${ORDER[candidates]} FOR UPDATE SKIP LOCKED`,
        [...ids, queue, bound],
      );
      if (locked.rows.length === 0) return [];
      const mine = locked.rows.map((row) => row.id);
      await tx.run(`UPDATE jobs SET reserved_at = ?, attempts = attempts + 1 WHERE id IN (${marks(mine)})`, [
        now,
        ...mine,
      ]);
      return locked.rows.map((row) => {
        const reserved = toReserved(row);
        return { ...reserved, attempts: reserved.attempts + 1 };
      });
    });
    if (reserved.length > 0) return reserved;
    passed.push(...ids);
  }
  return [];
}

function marks(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function toReserved(row: Record<string, unknown>): ReservedRow {
  return { id: String(row.id), payload: String(row.payload), attempts: Number(row.attempts) };
}

/** Rounds `reserveExpiredJob` tries while other workers take the job it picked. */
const EXPIRED_ROUNDS = 3;

/**
 * Reserves the oldest job of `queue` whose lease expired (`reserved_at <= bound`, with
 * `bound = now - retryAfter`: its worker died, or an attempt outlived the lease), alone, and
 * counts that lost lease in its payload (`leaseLosses`), in one transaction: the count can
 * never miss a reservation that took the job back. As in `reserveMysql`, the job is picked
 * by a plain read, then locked by primary key and checked to be still expired. Null when
 * none is (or other workers took every one it picked).
 */
export async function reserveExpiredJob(
  db: SqlClient,
  queue: string,
  now: number,
  bound: number,
): Promise<ReservedRow | null> {
  const lock = db.dialect === 'sqlite' ? '' : ' FOR UPDATE SKIP LOCKED';
  const passed: unknown[] = [];
  for (let round = 0; round < EXPIRED_ROUNDS; round++) {
    const notPassed = passed.length > 0 ? ` AND id NOT IN (${marks(passed)})` : '';
    const picked = await db.run(
      `SELECT id FROM jobs WHERE ${CONDITION.expired}${notPassed} ORDER BY ${ORDER.expired} LIMIT 1`,
      [queue, bound, ...passed],
    );
    const id = picked.rows[0]?.id;
    if (id === undefined) return null;
    const reserved = await db.transaction(async (tx) => {
      const { rows } = await tx.run(
        `SELECT id, payload, attempts FROM jobs WHERE id = ? AND ${CONDITION.expired}${lock}`,
        [id, queue, bound],
      );
      if (!rows[0]) return null;
      const row = toReserved(rows[0]);
      const payload = withLeaseLoss(row.payload);
      const { affected } = await tx.run(
        'UPDATE jobs SET reserved_at = ?, attempts = attempts + 1, payload = ? WHERE id = ? AND attempts = ?',
        [now, payload, row.id, row.attempts],
      );
      return affected === 1 ? { id: row.id, payload, attempts: row.attempts + 1 } : null;
    });
    if (reserved) return reserved;
    passed.push(id);
  }
  return null;
}

/** The payload text with one more lost lease counted (`JobPayload.leaseLosses`); unreadable text as it is. */
function withLeaseLoss(text: string): string {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return text;
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return text;
  const losses = (payload as { leaseLosses?: unknown }).leaseLosses;
  return JSON.stringify({ ...payload, leaseLosses: (typeof losses === 'number' ? losses : 0) + 1 });
}
