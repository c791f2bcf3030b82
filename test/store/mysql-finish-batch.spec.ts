import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../lib/core/job.js';
import type { JobConsumer, RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob, record } from './store-conformance.js';
import { waitFor } from '../support/wait-for.js';
import { uniqueName } from '../support/store-servers.js';
import { mariadbStore, type StoreHarness } from '../support/stores.js';

const TTL = 60_000;

/**
 * On MySQL/MariaDB a group of finished jobs is deleted with one `DELETE` when every job in it is
 * still held; when one was lost (its lease lapsed and another worker took it), the transaction
 * is rolled back and run again, finding out first which jobs are still held: the held job's
 * callback is stored, the lost one's is not.
 */
describe('database driver on MariaDB: a group of finished jobs with one lost lease', () => {
  let target: StoreHarness;
  let store: RequestQueueStore;
  let sql: mysql.Connection;
  const consumers: JobConsumer[] = [];

  beforeAll(async () => {
    target = await mariadbStore.create();
    store = await target.open({ leaseMs: 60_000 });
    const database = (target.options as { database: { url: string } }).database;
    sql = await mysql.createConnection(database.url);
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop(0)));
    await store?.close();
    await sql?.end();
    await target?.cleanup();
  });

  it("stores the held job's callback and not the lost one's, and leaves the lost job to its holder", async () => {
    const queue = uniqueName('q');
    const nextQueue = uniqueName('next'); // not consumed here: the stored callbacks stay to be read
    const [held, lost] = [randomUUID(), randomUUID()];
    for (const id of [held, lost]) await store.enqueue(newJob(queue, id), id, TTL);
    const finish: ((r: JobResult) => void)[] = [];
    const run = await record(store, { queues: [queue], concurrency: 2 }, (job) =>
      job.payload.kind === 'replay' ? new Promise<JobResult>((resolve) => finish.push(resolve)) : { type: 'complete' },
    );
    consumers.push(run.consumer);
    await waitFor('both jobs taken', () => finish.length === 2, { timeoutMs: 5000, intervalMs: 20 });
    const lostJob = run.seen.find((j) => j.payload.correlationId === lost)!;
    // Another worker took the lost one since (its reservation counts one more attempt).
    await sql.query('UPDATE jobs SET attempts = attempts + 1 WHERE id = ?', [lostJob.id]);

    // Both answers in the same turn of the event loop: one group for the delete batcher.
    const answers = run.seen.map((j) => ({
      type: 'complete' as const,
      next: newJob(nextQueue, j.payload.correlationId, 0, { kind: 'callback', webhookId: `msg_${j.id}` }),
    }));
    finish.forEach((resolve, i) => resolve(answers[i]!));

    await waitFor('the held job deleted', async () => {
      const [rows] = await sql.query<mysql.RowDataPacket[]>('SELECT id FROM jobs WHERE queue = ?', [queue]);
      return rows.length === 1;
    });
    const [left] = await sql.query<mysql.RowDataPacket[]>('SELECT id, attempts FROM jobs WHERE queue = ?', [queue]);
    expect(left.map((r) => String(r.id))).toEqual([lostJob.id]);
    const [callbacks] = await sql.query<mysql.RowDataPacket[]>('SELECT payload FROM jobs WHERE queue = ?', [nextQueue]);
    expect(callbacks.map((r) => (JSON.parse(String(r.payload)) as { correlationId: string }).correlationId)).toEqual([
      held,
    ]);
  });
});
