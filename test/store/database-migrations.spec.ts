import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { requestQueueMigrations } from '../../migrations/index.js';
import { DatabaseStore } from '../../lib/store/database/database.store.js';
import { resolveDatabaseOptions } from '../../lib/store/database/database-store.options.js';
import { MIGRATIONS_TABLE, ownDataSourceOptions } from '../../lib/store/database/open-data-source.js';
import { MARIADB, mysqlAdmin, pgAdmin, POSTGRES, uniqueName } from '../support/store-servers.js';

const TABLES = [
  'failed_jobs',
  'jobs',
  'request_queue_claims',
  'request_queue_flow_slots', // 0007 (lib/flow)
  'request_queue_flow_tickets', // 0008 (lib/flow)
  'request_queue_requests',
  'request_queue_signals',
  'request_queue_throughput',
];

interface Dialect {
  name: string;
  /** Creates an empty database; resolves to connection options for it and a way to drop it. */
  create(): Promise<{ options: DataSourceOptions; drop: () => Promise<void> }>;
}

const dialects: Dialect[] = [
  {
    name: 'MariaDB',
    async create() {
      const database = uniqueName('rq_migrate');
      await mysqlAdmin((db) => db.query(`CREATE DATABASE ${database}`));
      return {
        options: { type: 'mariadb', host: MARIADB.host, port: MARIADB.port, username: MARIADB.user, database },
        drop: async () => void (await mysqlAdmin((db) => db.query(`DROP DATABASE IF EXISTS ${database}`))),
      };
    },
  },
  {
    name: 'PostgreSQL',
    async create() {
      const database = uniqueName('rq_migrate');
      await pgAdmin((db) => db.query(`CREATE DATABASE ${database}`));
      return {
        options: { type: 'postgres', host: POSTGRES.host, port: POSTGRES.port, username: POSTGRES.user, database },
        drop: async () => void (await pgAdmin((db) => db.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`))),
      };
    },
  },
  {
    name: 'SQLite',
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'rq-migrate-'));
      return {
        options: { type: 'better-sqlite3', database: join(dir, 'db', 'queue.sqlite') },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

async function tablesOf(dataSource: DataSource, names = TABLES): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  try {
    const found: string[] = [];
    for (const table of names) if (await runner.hasTable(table)) found.push(table);
    return found;
  } finally {
    await runner.release();
  }
}

describe.each(dialects)('migrations on $name', (dialect) => {
  it('apply when two processes start at once, revert one by one, and apply again', async () => {
    const { options, drop } = await dialect.create();
    drops.push(drop);
    const open = () => new DatabaseStore(resolveDatabaseOptions({ options, migrationsRun: true }, 1000, true));
    const [a, b] = [open(), open()];
    await Promise.all([a.init(), b.init()]);
    await Promise.all([a.close(), b.close()]);

    const dataSource = new DataSource(ownDataSourceOptions({ options }, 5000));
    await dataSource.initialize();
    try {
      expect(await tablesOf(dataSource)).toEqual(TABLES);
      expect(await dataSource.showMigrations()).toBe(false);
      for (let i = requestQueueMigrations.length; i > 0; i--) await dataSource.undoLastMigration();
      expect(await tablesOf(dataSource)).toEqual([]);
      expect(await tablesOf(dataSource, [MIGRATIONS_TABLE])).toEqual([MIGRATIONS_TABLE]);
      const ran = await dataSource.runMigrations();
      expect(ran.map((m) => m.name)).toEqual(requestQueueMigrations.map((m) => m.name));
      expect(await tablesOf(dataSource)).toEqual(TABLES);
    } finally {
      await dataSource.destroy();
    }
  });

  it('upgrades a database migrated up to 0005: the store refuses it, then migrates it and reads its records', async () => {
    const { options, drop } = await dialect.create();
    drops.push(drop);
    const old = new DataSource({
      ...ownDataSourceOptions({ options }, 5000),
      migrations: requestQueueMigrations.slice(0, 5),
    });
    await old.initialize();
    try {
      await old.runMigrations();
      // a request queued by the previous version: its record has no timeline
      await old.query(
        'INSERT INTO request_queue_requests (correlation_id, state, attempts, queue, job_id, queued_at, updated_at) ' +
          "VALUES ('old-1', 'queued', 0, 'default', '7', 1000, 1000)",
      );
    } finally {
      await old.destroy();
    }
    const open = (migrationsRun: boolean) =>
      new DatabaseStore(resolveDatabaseOptions({ options, migrationsRun }, 1000, true));
    const refused = open(false);
    await expect(refused.init()).rejects.toThrow(
      /tables are missing .*\(request_queue_throughput, request_queue_flow_slots, request_queue_flow_tickets\)/,
    );
    await refused.close();
    const store = open(true);
    await store.init();
    try {
      const record = await store.readStatus('old-1');
      expect(record).toMatchObject({ correlationId: 'old-1', state: 'queued', queue: 'default', jobId: '7' });
      expect(record!.timeline).toBeUndefined();
      expect(await store.throughput(0)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
