import type { RequestQueueModuleOptions } from '../../lib/index.js';
import { openStore, storeEnv } from './open-store.js';
import type { StoreHarness } from './stores.js';

/** Raw access to one SQL database from outside the store, each call on a connection of its own. */
export interface SqlAccess {
  /** The tables in it. */
  tables(): Promise<string[]>;
  /** Every row of `table`. */
  rows(table: string): Promise<Record<string, unknown>[]>;
  /** One statement, `?` placeholders. */
  run(sql: string, params: readonly unknown[]): Promise<void>;
}

/** Tables of the request queue's own bookkeeping that are not user data (migration history). */
const isBookkeeping = (table: string) => /migration/i.test(table);
const JOB_TABLES = ['jobs', 'failed_jobs'];

/** JSON of a row, 64-bit integers as text. */
const rowText = (row: Record<string, unknown>) =>
  JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));

/** A database-driver harness over `url`: what every SQL store offers, the same way. */
export function sqlHarness(
  name: string,
  url: string,
  sql: SqlAccess,
  cleanup: () => Promise<void>,
  database?: string,
): StoreHarness {
  const options: RequestQueueModuleOptions = { driver: 'database', database: { url, migrationsRun: true } };
  const dataTables = async () => (await sql.tables()).filter((t) => !isBookkeeping(t));
  return {
    name,
    options,
    env: storeEnv(options),
    database,
    open: (settings) => openStore(options, settings),
    exec: (statement, params = []) => sql.run(statement, params),
    async count() {
      let entries = 0;
      let jobs = 0;
      for (const t of await dataTables()) {
        const n = (await sql.rows(t)).length;
        entries += n;
        if (JOB_TABLES.includes(t)) jobs += n;
      }
      return { entries, jobs };
    },
    async dump() {
      const parts: string[] = [];
      for (const t of await dataTables()) for (const row of await sql.rows(t)) parts.push(`${t} ${rowText(row)}`);
      return parts.join('\n');
    },
    async rewriteJobs(fn) {
      let n = 0;
      for (const table of JOB_TABLES) {
        for (const row of await sql.rows(table)) {
          const payload = JSON.stringify(fn(JSON.parse(String(row.payload)) as Record<string, unknown>));
          await sql.run(`UPDATE ${table} SET payload = ? WHERE id = ?`, [payload, row.id]);
          n++;
        }
      }
      return n;
    },
    cleanup,
  };
}
