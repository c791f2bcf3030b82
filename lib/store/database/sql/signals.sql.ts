import type { SqlExecutor } from '../sql-client.js';
import { isDuplicateKey } from '../sql-errors.js';

/** Signals workers read from the database; `restart` is the only one (`request-queue restart`). */
export type SignalName = 'restart';

/**
 * Sets a signal's value (unix ms). The migration creates the row; should it be missing it
 * is inserted (a duplicate then only means MySQL counted an unchanged row as 0 affected).
 */
export async function setSignal(db: SqlExecutor, name: SignalName, value: number): Promise<void> {
  const { affected } = await db.run('UPDATE request_queue_signals SET value = ? WHERE name = ?', [value, name]);
  if (affected > 0) return;
  try {
    await db.run('INSERT INTO request_queue_signals (name, value) VALUES (?, ?)', [name, value]);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

/** A signal's value (unix ms), or null when it was never set. */
export async function getSignal(db: SqlExecutor, name: SignalName): Promise<number | null> {
  const { rows } = await db.run('SELECT value FROM request_queue_signals WHERE name = ?', [name]);
  const value = rows[0]?.value;
  return value === null || value === undefined ? null : Number(value);
}
