/** The driver's own error behind TypeORM's `QueryFailedError` (or the error itself). */
function driverError(err: unknown): { code?: unknown; errno?: unknown } {
  const e = err as { driverError?: unknown } | null;
  return (e && typeof e === 'object' && e.driverError) || err || {};
}

/** The driver error's message, or '' when it has none. */
function driverMessage(err: unknown): string {
  const { message } = driverError(err) as { message?: unknown };
  return typeof message === 'string' ? message : '';
}

/** A unique key was already taken (MySQL 1062, PostgreSQL 23505, SQLite UNIQUE/PRIMARY KEY). */
export function isDuplicateKey(err: unknown): boolean {
  const { code, errno } = driverError(err);
  return (
    code === 'ER_DUP_ENTRY' ||
    errno === 1062 ||
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/** The transaction lost a lock conflict and may simply be run again (deadlock, serialization failure, busy). */
export function isRetryableConflict(err: unknown): boolean {
  const { code, errno } = driverError(err);
  return (
    code === 'ER_LOCK_DEADLOCK' || errno === 1213 || code === '40P01' || code === '40001' || code === 'SQLITE_BUSY'
  );
}

/** A short description of a database error for messages (the driver's message, without the SQL). */
export function describeSqlError(err: unknown): string {
  const inner = driverError(err) as { message?: unknown; code?: unknown };
  const message =
    typeof inner.message === 'string' && inner.message ? inner.message : String((err as Error)?.message ?? err);
  return typeof inner.code === 'string' && !message.includes(inner.code) ? `${inner.code}: ${message}` : message;
}

/**
 * The connection broke (killed, server restarted, network). Raised by the first statement
 * on a pooled connection that died while idle, before anything ran on it.
 */
export function isConnectionLost(err: unknown): boolean {
  const { code, errno } = driverError(err);
  const message = driverMessage(err);
  return (
    code === 'PROTOCOL_CONNECTION_LOST' ||
    code === 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    errno === 1927 || // MariaDB ER_CONNECTION_KILLED
    code === '57P01' || // PostgreSQL admin_shutdown (pg_terminate_backend, server stopping)
    code === '08006' ||
    code === '08003' ||
    /Connection terminated|not queryable|connection error/i.test(message)
  );
}

/** A table the statement names does not exist (MySQL 1146, PostgreSQL 42P01, SQLite "no such table"). */
export function isMissingTable(err: unknown): boolean {
  const { code, errno } = driverError(err);
  const message = driverMessage(err);
  return (
    code === 'ER_NO_SUCH_TABLE' ||
    errno === 1146 ||
    code === '42P01' ||
    (typeof code === 'string' && code.startsWith('SQLITE_ERROR') && /no such table/i.test(message))
  );
}
