import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobConsumer, RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob, record } from './store-conformance.js';
import { waitFor } from '../support/wait-for.js';
import { mysqlAdmin, pgAdmin, uniqueName } from '../support/store-servers.js';
import { mariadbStore, postgresStore, type StoreHarness, type StoreKind } from '../support/stores.js';

const TTL = 60_000;

/**
 * Connections killed from another session (`KILL CONNECTION` on MariaDB,
 * `pg_terminate_backend` on PostgreSQL): the API side and the worker both carry on, on
 * fresh connections, without a restart.
 */
function describeKilledConnections(name: string, kind: StoreKind, killAll: (database: string) => Promise<number>) {
  describe(`${name}: connections killed from another session`, () => {
    let target: StoreHarness;
    let api: RequestQueueStore;
    let worker: RequestQueueStore;
    let consumer: JobConsumer | undefined;

    beforeAll(async () => {
      target = await kind.create();
      api = await target.open({ leaseMs: 5000 });
      worker = await target.open({ leaseMs: 5000 });
    });

    afterAll(async () => {
      await consumer?.stop(0);
      await api?.close();
      await worker?.close();
      await target?.cleanup();
    });

    it('keeps enqueueing and running jobs after every connection of both is killed', async () => {
      const queue = uniqueName('q');
      const { seen, consumer: c } = await record(worker, { queues: [queue], concurrency: 2 });
      consumer = c;
      const enqueue = async () => {
        const id = randomUUID();
        return api.enqueue(newJob(queue, id), id, TTL);
      };
      expect(await enqueue()).not.toBeNull();
      await waitFor('the first job', () => seen.length === 1, { timeoutMs: 5000, intervalMs: 20 });

      for (let round = 0; round < 3; round++) {
        expect(await killAll(target.database!)).toBeGreaterThan(0);
        // A pooled connection that died while idle is stepped over: no 503 for the next call.
        expect(await enqueue()).not.toBeNull();
        expect(await api.claim(randomUUID(), TTL)).toBe(true);
        await waitFor(`job ${round + 2} after the kill`, () => seen.length === round + 2, {
          timeoutMs: 8000,
          intervalMs: 20,
        });
      }
    });
  });
}

describeKilledConnections('MariaDB', mariadbStore, (database) =>
  mysqlAdmin(async (db) => {
    const [rows] = await db.query(
      'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
      [database],
    );
    const ids = (rows as { id: number }[]).map((r) => r.id);
    for (const id of ids) await db.query('KILL CONNECTION ?', [id]).catch(() => {}); // may have ended already
    return ids.length;
  }),
);

describeKilledConnections('PostgreSQL', postgresStore, (database) =>
  pgAdmin(async (db) => {
    const { rows } = await db.query(
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return rows.length;
  }),
);
