import { randomBytes } from 'node:crypto';
import type mysql from 'mysql2/promise';
import type pg from 'pg';

/**
 * The servers on this machine the tests use (README: `npm test` needs them; `.ci/run` starts
 * them). Every test works under a Redis key prefix or in a database of its own on them.
 */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' };
export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };
/** The same servers as URLs without a database (append `/<database>`). */
export const MYSQL_URL = process.env.SECURITY_MYSQL_URL ?? `mysql://${MARIADB.user}@${MARIADB.host}:${MARIADB.port}`;
export const POSTGRES_URL =
  process.env.SECURITY_POSTGRES_URL ?? `postgres://${POSTGRES.user}@${POSTGRES.host}:${POSTGRES.port}`;

/** `<prefix>_<10 hex digits>`: a queue, key prefix or database name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Runs `work` on a short-lived connection to MariaDB (`database` selected if given). */
export async function mysqlAdmin<T>(
  work: (db: mysql.Connection) => Promise<T>,
  port = MARIADB.port,
  database?: string,
): Promise<T> {
  const { default: driver } = await import('mysql2/promise');
  const db = await driver.createConnection({ ...MARIADB, port, database });
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/** Runs `work` on a short-lived connection to PostgreSQL's `database` [`postgres`]. */
export async function pgAdmin<T>(work: (db: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const { default: driver } = await import('pg');
  const db = new driver.Client({ ...POSTGRES, database, connectionTimeoutMillis: 5_000 });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/** One connection to a test's database, opened on first use and kept until `close()`. */
export interface HeldConnection<C> {
  use<T>(work: (db: C) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function heldConnection<C>(open: () => Promise<C>, end: (db: C) => Promise<void>): HeldConnection<C> {
  let opened: Promise<C> | undefined;
  return {
    async use(work) {
      opened ??= open();
      return work(await opened);
    },
    async close() {
      const db = await opened?.catch(() => undefined);
      opened = undefined;
      if (db !== undefined) await end(db).catch(() => {});
    },
  };
}

/** A PostgreSQL connection to `database` that a harness reuses (a connection per query is slow). */
export function heldPgConnection(database: string): HeldConnection<pg.Client> {
  return heldConnection(
    async () => {
      const { default: driver } = await import('pg');
      const db = new driver.Client({ ...POSTGRES, database, connectionTimeoutMillis: 5_000 });
      await db.connect();
      return db;
    },
    (db) => db.end(),
  );
}

/** A MariaDB connection to `database` that a harness reuses. */
export function heldMysqlConnection(database: string): HeldConnection<mysql.Connection> {
  return heldConnection(
    async () => {
      const { default: driver } = await import('mysql2/promise');
      return driver.createConnection({ ...MARIADB, database });
    },
    (db) => db.end(),
  );
}
