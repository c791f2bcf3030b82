import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import type { SqlClient } from '../../lib/store/database/sql-client.js';
import { insertJob } from '../../lib/store/database/sql/jobs.sql.js';
import { reserveJobs } from '../../lib/store/database/sql/reserve-jobs.sql.js';
import { TypeormSqlClient } from '../../lib/store/database/typeorm-sql-client.js';
import type { RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob } from './store-conformance.js';
import { MARIADB, POSTGRES, uniqueName } from '../support/store-servers.js';
import { mariadbStore, postgresStore, type StoreHarness } from '../support/stores.js';

/**
 * What one worker's reservation may hold while it is under way (its transaction not yet
 * committed: a slow round trip, a busy process). Row locks are how workers stay out of
 * each other's way (SKIP LOCKED), so a lock on a row the reservation does not take makes
 * another worker pass over a ready job: a worker with stopWhenEmpty then ends with the job
 * still there, any other one leaves it for an idle wait.
 */
describe.each([
  { name: 'MariaDB', kind: mariadbStore, server: { type: 'mariadb' as const, ...MARIADB } },
  { name: 'PostgreSQL', kind: postgresStore, server: { type: 'postgres' as const, ...POSTGRES } },
])('database reservations on $name', ({ kind, server }) => {
  let target: StoreHarness;
  let store: RequestQueueStore;
  let dataSource: DataSource;
  let db: SqlClient;

  beforeAll(async () => {
    target = await kind.create();
    store = await target.open({ leaseMs: 1500 }); // creates the database and its tables
    const { type, host, port, user } = server;
    dataSource = new DataSource({ type, host, port, username: user, database: target.database, logging: false });
    await dataSource.initialize();
    db = new TypeormSqlClient(dataSource, type === 'postgres' ? 'postgres' : 'mysql');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await store?.close();
    await target?.cleanup();
  });

  /** Runs a reservation of `queue` inside a transaction that stays open until `commit()`. */
  function reservationUnderWay(candidates: 'available' | 'expired', queue: string, now: number) {
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let reserved!: () => void;
    const done = new Promise<void>((resolve) => (reserved = resolve));
    const result = db.transaction(async (tx) => {
      const inOneTransaction: SqlClient = {
        dialect: tx.dialect,
        run: (sql, params) => tx.run(sql, params),
        transaction: (work) => work(tx),
      };
      const rows = await reserveJobs(
        inOneTransaction,
        candidates,
        queue,
        5,
        now,
        candidates === 'expired' ? now - 1000 : now,
      );
      reserved();
      await committing;
      return rows;
    });
    return { reserved: Promise.race([done, result]), commit, result };
  }

  it.each([
    { candidates: 'available' as const, neighbourJobs: 0, what: 'of an empty queue' },
    { candidates: 'available' as const, neighbourJobs: 1, what: 'that takes fewer jobs than it asked for' },
    { candidates: 'expired' as const, neighbourJobs: 0, what: 'of expired leases, finding none' },
  ])(
    "a reservation $what under way does not hide the next queue's ready job",
    async ({ candidates, neighbourJobs }) => {
      // Two queues next to each other in the jobs index (queue, reserved_at, available_at, id).
      const base = uniqueName('r');
      const [neighbour, mine] = [`${base}_a`, `${base}_b`];
      const now = Date.now();
      for (let i = 0; i < neighbourJobs; i++) await insertJob(db, newJob(neighbour), now - 10);
      const id = await insertJob(db, newJob(mine), now - 10);

      const other = reservationUnderWay(candidates, neighbour, now);
      await other.reserved;
      let rows;
      try {
        rows = await reserveJobs(db, 'available', mine, 5, now, now);
      } finally {
        other.commit();
      }
      expect((await other.result).length).toBe(candidates === 'available' ? neighbourJobs : 0);
      expect(rows.map((r) => r.id)).toEqual([id]);
    },
  );
});
