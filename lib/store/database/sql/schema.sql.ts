import type { SqlExecutor } from '../sql-client.js';

/** The tables the request queue's migrations (`migrations/`) create, in migration order. */
export const REQUEST_QUEUE_TABLES = [
  'jobs',
  'failed_jobs',
  'request_queue_claims',
  'request_queue_signals',
  'request_queue_requests',
  'request_queue_throughput',
  'request_queue_flow_slots', // 0007: flow control (lib/flow)
  'request_queue_flow_tickets', // 0008: funnels' order of arrival (lib/flow)
] as const;

const LIST = REQUEST_QUEUE_TABLES.map(() => '?').join(', ');

/** Tables visible under their bare names (as the store's SQL names them), per dialect. */
const VISIBLE_TABLES = {
  mysql: `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (${LIST})`,
  postgres: `SELECT c.relname AS name FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p') AND c.relname IN (${LIST}) AND pg_catalog.pg_table_is_visible(c.oid)`,
  sqlite: `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${LIST})`,
};

/** The request queue's tables this connection does not see, in migration order (empty when all are there). */
export async function missingTables(db: SqlExecutor): Promise<string[]> {
  const { rows } = await db.run(VISIBLE_TABLES[db.dialect], REQUEST_QUEUE_TABLES);
  const seen = new Set(rows.map((row) => String(row.name ?? row.NAME)));
  return REQUEST_QUEUE_TABLES.filter((table) => !seen.has(table));
}

const CURRENT_DATABASE = {
  mysql: 'SELECT DATABASE() AS name',
  postgres: 'SELECT current_database() AS name',
  sqlite: "SELECT file AS name FROM pragma_database_list WHERE name = 'main'",
};

/** The name of the database (the file, on SQLite) this connection works in, for messages. */
export async function currentDatabase(db: SqlExecutor): Promise<string> {
  const { rows } = await db.run(CURRENT_DATABASE[db.dialect]);
  const name = rows[0]?.name;
  return typeof name === 'string' && name !== '' ? name : '(unnamed)';
}
