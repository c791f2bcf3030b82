import type { NewJob } from '../../../core/job.js';
import type { SqlExecutor } from '../sql-client.js';
import { insertFlowTicket } from './flow-tickets.sql.js';

/** Which reservation of a job a worker holds: `attempts` grows by one at every reservation. */
export interface JobToken {
  id: string;
  attempts: number;
}

/**
 * Stores a job, runnable `delayMs` after `now`; resolves to its id. A replay in a funnel
 * also takes its ticket in the funnel's line (lib/flow), on the same executor: call it in
 * a transaction so the job and its ticket land together.
 */
export async function insertJob(db: SqlExecutor, job: NewJob, now: number): Promise<string> {
  const id = await insertJobRow(db, job, now);
  const funnel = job.payload.kind === 'replay' ? job.payload.flow?.funnel : undefined;
  if (funnel) await insertFlowTicket(db, funnel.bucket, id);
  return id;
}

/**
 * Stores a job already reserved by the worker that stores it (a delivery handed over to the
 * worker that settled its replay): `attempts` 1 and `reserved_at` now, as a reservation
 * leaves a row, so a worker that dies leaves it to its lease like any job it held.
 * Resolves to its token.
 */
export async function insertReservedJob(db: SqlExecutor, job: NewJob, now: number): Promise<JobToken> {
  return { id: await insertJobRow(db, job, now, true), attempts: 1 };
}

async function insertJobRow(db: SqlExecutor, job: NewJob, now: number, reserved = false): Promise<string> {
  const sql =
    'INSERT INTO jobs (queue, payload, attempts, reserved_at, available_at, created_at) VALUES (?, ?, ?, ?, ?, ?)';
  const params = [
    job.queue,
    JSON.stringify(job.payload),
    reserved ? 1 : 0,
    reserved ? now : null,
    now + Math.max(0, job.delayMs),
    now,
  ];
  if (db.dialect === 'mysql') {
    const { insertId } = await db.run(sql, params);
    if (insertId === undefined) throw new Error('the database did not report the new job id');
    return insertId;
  }
  const { rows } = await db.run(`${sql} RETURNING id`, params);
  return String(rows[0]!.id);
}

/** Stores jobs, each runnable `delayMs` after `now`, in one statement (their ids are not needed). */
export async function insertJobs(db: SqlExecutor, jobs: readonly NewJob[], now: number): Promise<void> {
  if (jobs.length === 0) return;
  await db.run(
    `INSERT INTO jobs (queue, payload, attempts, reserved_at, available_at, created_at) VALUES ${jobs
      .map(() => '(?, ?, 0, NULL, ?, ?)')
      .join(', ')}`,
    jobs.flatMap((job) => [job.queue, JSON.stringify(job.payload), now + Math.max(0, job.delayMs), now]),
  );
}

/**
 * Deletes jobs that are still held under the given reservations (finished jobs);
 * resolves to how many were. A job whose lease passed and that another worker reserved
 * since is not touched.
 */
export async function deleteReservedJobs(db: SqlExecutor, tokens: readonly JobToken[]): Promise<number> {
  if (tokens.length === 0) return 0;
  const where = tokens.map(() => '(id = ? AND attempts = ?)').join(' OR ');
  const { affected } = await db.run(
    `DELETE FROM jobs WHERE ${where}`,
    tokens.flatMap((t) => [t.id, t.attempts]),
  );
  return affected;
}

/**
 * Thrown by `deleteReservedJobIds` inside a transaction when a delete matched fewer jobs than
 * it was given (a lease was lost): the caller rolls the transaction back and runs it again
 * with `lockFirst`.
 */
export class LeaseCheckNeeded extends Error {
  override readonly name = 'LeaseCheckNeeded';
}

/**
 * `deleteReservedJobs` that says which: resolves to the ids of the jobs deleted. MySQL and
 * MariaDB have no common `DELETE … RETURNING`: there one `DELETE` is enough when it matched
 * every job given (the usual case, one round trip); otherwise it throws `LeaseCheckNeeded`,
 * and with `lockFirst` the held rows are locked by primary key first, then deleted.
 */
export async function deleteReservedJobIds(
  tx: SqlExecutor,
  tokens: readonly JobToken[],
  lockFirst = false,
): Promise<Set<string>> {
  if (tokens.length === 0) return new Set();
  const where = tokens.map(() => '(id = ? AND attempts = ?)').join(' OR ');
  const params = tokens.flatMap((t) => [t.id, t.attempts]);
  if (tx.dialect !== 'mysql') {
    const { rows } = await tx.run(`DELETE FROM jobs WHERE ${where} RETURNING id`, params);
    return new Set(rows.map((row) => String(row.id)));
  }
  if (!lockFirst) {
    const { affected } = await tx.run(`DELETE FROM jobs WHERE ${where}`, params);
    if (affected === tokens.length) return new Set(tokens.map((t) => t.id));
    throw new LeaseCheckNeeded(`${tokens.length - affected} of ${tokens.length} jobs are no longer held`);
  }
  const { rows } = await tx.run(`SELECT id FROM jobs WHERE ${where} FOR UPDATE`, params);
  const ids = rows.map((row) => String(row.id));
  if (ids.length > 0) await tx.run(`DELETE FROM jobs WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
  return new Set(ids);
}

/** Makes a held job runnable again at `availableAt`, keeping its attempt count; false if no longer held. */
export async function releaseReservedJob(db: SqlExecutor, token: JobToken, availableAt: number): Promise<boolean> {
  const { affected } = await db.run(
    'UPDATE jobs SET reserved_at = NULL, available_at = ? WHERE id = ? AND attempts = ?',
    [availableAt, token.id, token.attempts],
  );
  return affected === 1;
}

/** Hands back a reserved job that was never started, as if it had not been reserved; false if no longer held. */
export async function unreserveJob(db: SqlExecutor, token: JobToken): Promise<boolean> {
  const { affected } = await db.run(
    'UPDATE jobs SET reserved_at = NULL, attempts = attempts - 1 WHERE id = ? AND attempts = ?',
    [token.id, token.attempts],
  );
  return affected === 1;
}

/** Renews a held job's lease (its worker is still on it); false if no longer held. */
export async function renewReservation(db: SqlExecutor, token: JobToken, now: number): Promise<boolean> {
  const { affected } = await db.run('UPDATE jobs SET reserved_at = ? WHERE id = ? AND attempts = ?', [
    now,
    token.id,
    token.attempts,
  ]);
  return affected === 1;
}
