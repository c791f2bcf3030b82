import { TIMELINE_LIMIT, timelineLine, type TimelineEntry } from '../../../core/request-status.js';
import type { Dialect } from '../dialect.js';
import type { SqlExecutor } from '../sql-client.js';

/**
 * A request's timeline in `request_queue_requests`: `timeline` holds one JSON line per
 * entry (each ending in a newline), `timeline_entries` how many. An append is one SET
 * fragment of the statement that writes the record, so it shares its guards and its
 * transaction; past `TIMELINE_LIMIT` entries it drops the oldest line in the same step.
 */

/** An entry as the `timeline` column stores it: its JSON line and the newline that ends it. */
export function storedLine(entry: TimelineEntry): string {
  return `${timelineLine(entry)}\n`;
}

const NEWLINE = { mysql: 'CHAR(10 USING utf8mb4)', postgres: 'chr(10)', sqlite: 'char(10)' } as const;
const FIND_NEWLINE = {
  mysql: `LOCATE(${NEWLINE.mysql}, request_queue_requests.timeline)`,
  postgres: `strpos(request_queue_requests.timeline, ${NEWLINE.postgres})`,
  sqlite: `instr(request_queue_requests.timeline, ${NEWLINE.sqlite})`,
} as const;

/**
 * `timeline = <kept lines> || <line>, timeline_entries = …`: appends the stored line that
 * `line` (SQL: a parameter, or a CASE of parameters) gives. Columns are qualified with the
 * table, so the fragment also works in an upsert's update (the existing row's values).
 * MySQL evaluates SET left to right with updated values: `timeline` comes first, so both
 * read the old `timeline_entries`.
 */
export function appendTimelineSql(dialect: Dialect, line: string): string {
  const entries = 'request_queue_requests.timeline_entries';
  const kept =
    `CASE WHEN ${entries} >= ${TIMELINE_LIMIT} ` +
    `THEN SUBSTR(request_queue_requests.timeline, ${FIND_NEWLINE[dialect]} + 1) ` +
    `ELSE COALESCE(request_queue_requests.timeline, '') END`;
  const value = dialect === 'postgres' ? `CAST(${line} AS TEXT)` : line;
  const joined = dialect === 'mysql' ? `CONCAT(${kept}, ${value})` : `${kept} || ${value}`;
  return (
    `timeline = ${joined}, ` +
    `timeline_entries = CASE WHEN ${entries} >= ${TIMELINE_LIMIT} THEN ${TIMELINE_LIMIT} ELSE ${entries} + 1 END`
  );
}

/** A callback delivery's entry for its request's timeline (see `appendCallbackEntries`). */
export interface CallbackEntry {
  correlationId: string;
  /** When the request was accepted: the guard against a newer request under the same id. */
  queuedAt: number;
  entry: TimelineEntry;
}

/**
 * Appends settled callback deliveries to their requests' timelines, in one statement. A
 * record is changed only if it is still the request's (same `queued_at`) and not expired.
 */
export async function appendCallbackEntries(
  db: SqlExecutor,
  entries: readonly CallbackEntry[],
  now: number,
): Promise<void> {
  if (entries.length === 0) return;
  const line =
    entries.length === 1
      ? '?'
      : `CASE ${entries.map(() => 'WHEN correlation_id = ? AND queued_at = ? THEN ?').join(' ')} END`;
  const lineParams =
    entries.length === 1
      ? [storedLine(entries[0]!.entry)]
      : entries.flatMap((e) => [e.correlationId, e.queuedAt, storedLine(e.entry)]);
  const ids = entries.map(() => '?').join(', ');
  const guards = entries.map(() => '(correlation_id = ? AND queued_at = ?)').join(' OR ');
  await db.run(
    `UPDATE request_queue_requests SET ${appendTimelineSql(db.dialect, line)} ` +
      `WHERE correlation_id IN (${ids}) AND (${guards}) AND (expires_at IS NULL OR expires_at > ?)`,
    [
      ...lineParams,
      ...entries.map((e) => e.correlationId),
      ...entries.flatMap((e) => [e.correlationId, e.queuedAt]),
      now,
    ],
  );
}
