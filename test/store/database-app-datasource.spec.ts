import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { requestQueueMigrations } from '../../migrations/index.js';
import { RequestQueueModule } from '../../lib/nest/request-queue.module.js';
import { DatabaseStore } from '../../lib/store/database/database.store.js';
import { resolveDatabaseOptions } from '../../lib/store/database/database-store.options.js';
import { REQUEST_QUEUE_STORE, type RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob } from './store-conformance.js';
import { MARIADB, uniqueName } from '../support/store-servers.js';
import { mariadbStore } from '../support/stores.js';

const dir = mkdtempSync(join(tmpdir(), 'rq-app-ds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('database driver on a DataSource the app owns', () => {
  it('uses it, and leaves it open when the store closes', async () => {
    const target = await mariadbStore.create();
    await (await target.open({ leaseMs: 5000 })).close(); // creates the database and its tables
    const dataSource = new DataSource({
      type: 'mariadb',
      host: MARIADB.host,
      port: MARIADB.port,
      username: MARIADB.user,
      database: target.database,
    });
    try {
      const store = new DatabaseStore(resolveDatabaseOptions({ dataSource }, 1000, true));
      await store.init(); // initializes the app's DataSource, since it was not yet
      const id = randomUUID();
      expect(await store.enqueue(newJob(uniqueName('q'), id), id, 60_000)).not.toBeNull();
      await store.close();
      expect(dataSource.isInitialized).toBe(true);
      const rows = await dataSource.query<{ n: string }[]>('SELECT COUNT(*) AS n FROM jobs');
      expect(rows.map((row) => Number(row.n))).toEqual([1]);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await target.cleanup();
    }
  });

  it('works with @nestjs/typeorm: inject its DataSource into forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: join(dir, 'app.sqlite'),
          migrations: requestQueueMigrations,
          migrationsRun: true,
          migrationsTableName: 'request_queue_migrations',
        }),
        RequestQueueModule.forRootAsync({
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => ({ driver: 'database', database: { dataSource } }),
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    try {
      const store = app.get<RequestQueueStore>(REQUEST_QUEUE_STORE);
      const id = randomUUID();
      expect(await store.claim(id, 60_000)).toBe(true);
      expect(await store.claim(id, 60_000)).toBe(false);
      expect(app.get(DataSource).isInitialized).toBe(true);
    } finally {
      await app.close();
    }
  });
});
