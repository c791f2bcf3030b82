import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { DatabaseStore } from '../../lib/store/database/database.store.js';
import { resolveDatabaseOptions, type DatabaseStoreOptions } from '../../lib/store/database/database-store.options.js';
import { RedisStore } from '../../lib/store/redis/redis.store.js';
import type { RequestQueueStore } from '../../lib/store/request-queue.store.js';

import { deleteRedisPrefix } from '../support/redis.js';

/** The servers on this machine that the store tests use (README: `npm test` needs them). */
export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' };
export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };
export const REDIS_URL = 'redis://127.0.0.1:6379';

/** Settings a conformance test opens a store with. */
export interface StoreSettings {
  /** The lease: how long until a job whose worker vanished runs again, ms. */
  leaseMs: number;
}

/**
 * Fresh, empty storage for one test file: `open` gives stores on it (all see the same
 * data, like several processes on one server), `drop` removes it and everything in it.
 */
export interface StoreTarget {
  /** The database's name, for the SQL servers. */
  readonly database?: string;
  open(settings: StoreSettings): Promise<RequestQueueStore>;
  drop(): Promise<void>;
  /** Runs one statement (with `?` placeholders) on the SQL stores' database, from outside the store. */
  exec?(sql: string, params: unknown[]): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Longest attempt the database stores are told about (their lease must exceed it). */
const LONGEST_ATTEMPT_MS = 200;

function databaseStore(options: DatabaseStoreOptions, settings: StoreSettings): DatabaseStore {
  return new DatabaseStore(
    resolveDatabaseOptions({ sleep: 50, ...options, retryAfter: settings.leaseMs }, LONGEST_ATTEMPT_MS, true),
  );
}

/** Redis under a key prefix of its own. */
export function redisTarget(): StoreTarget {
  const prefix = uniqueName('rqtest');
  return {
    async open({ leaseMs }) {
      const store = new RedisStore({ url: REDIS_URL, prefix, lockDuration: leaseMs });
      await store.init();
      return store;
    },
    async drop() {
      await deleteRedisPrefix(REDIS_URL, prefix);
    },
  };
}

/** A MariaDB database of its own, created with the tables (migrations) on first open. */
export function mariadbTarget(): StoreTarget {
  const database = uniqueName('rq_test');
  let created = false;
  return {
    database,
    async open(settings) {
      if (!created) {
        await mysqlAdmin((db) => db.query(`CREATE DATABASE ${database}`));
        created = true;
      }
      const store = databaseStore(
        {
          options: { type: 'mariadb', host: MARIADB.host, port: MARIADB.port, username: MARIADB.user, database },
          migrationsRun: true,
        },
        settings,
      );
      await store.init();
      return store;
    },
    async drop() {
      if (created) await mysqlAdmin((db) => db.query(`DROP DATABASE IF EXISTS ${database}`));
    },
    async exec(sql, params) {
      await mysqlAdmin(async (db) => {
        await db.query(`USE ${database}`);
        await db.query(sql, params);
      });
    },
  };
}

/** A PostgreSQL database of its own. */
export function postgresTarget(): StoreTarget {
  const database = uniqueName('rq_test');
  let created = false;
  return {
    database,
    async open(settings) {
      if (!created) {
        await pgAdmin((db) => db.query(`CREATE DATABASE ${database}`));
        created = true;
      }
      const store = databaseStore(
        {
          options: { type: 'postgres', host: POSTGRES.host, port: POSTGRES.port, username: POSTGRES.user, database },
          migrationsRun: true,
        },
        settings,
      );
      await store.init();
      return store;
    },
    async drop() {
      if (created) await pgAdmin((db) => db.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    },
  };
}

/** An SQLite file in a temporary folder. */
export function sqliteTarget(): StoreTarget {
  const dir = mkdtempSync(join(tmpdir(), 'rq-sqlite-'));
  return {
    async open(settings) {
      const store = databaseStore({ url: `sqlite:${join(dir, 'queue.sqlite')}`, migrationsRun: true }, settings);
      await store.init();
      return store;
    },
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
    async exec(sql, params) {
      const db = new Database(join(dir, 'queue.sqlite'), { timeout: 5000 });
      try {
        db.prepare(sql).run(...params);
      } finally {
        db.close();
      }
    },
  };
}

/** Runs `work` on a short-lived admin connection to MariaDB (no database selected). */
export async function mysqlAdmin<T>(work: (db: mysql.Connection) => Promise<T>, port = MARIADB.port): Promise<T> {
  const db = await mysql.createConnection({ ...MARIADB, port });
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/** Runs `work` on a short-lived admin connection to PostgreSQL's `postgres` database. */
export async function pgAdmin<T>(work: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ ...POSTGRES, database: 'postgres' });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}
