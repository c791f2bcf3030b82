import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../lib/core/job.js';
import { DatabaseStore } from '../../lib/store/database/database.store.js';
import { resolveDatabaseOptions } from '../../lib/store/database/database-store.options.js';
import type { JobConsumer, RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob, record, sleep } from './store-conformance.js';
import { waitFor } from '../support/wait-for.js';
import { uniqueName } from '../support/store-servers.js';
import { mariadbStore, postgresStore, sqliteStore, type StoreHarness } from '../support/stores.js';

const TTL = 60_000;

/** What the database driver does with status records beyond the contract's common ground (on SQLite). */
describe('database driver status records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rq-status-'));
  const file = join(dir, 'queue.sqlite');
  let store: DatabaseStore;
  const consumers: JobConsumer[] = [];

  /** The record's row as stored, expired or not. */
  function row(correlationId: string): Record<string, unknown> | undefined {
    const db = new Database(file, { readonly: true, timeout: 5000 });
    try {
      return db.prepare('SELECT * FROM request_queue_requests WHERE correlation_id = ?').get(correlationId) as
        Record<string, unknown> | undefined;
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    store = new DatabaseStore(
      resolveDatabaseOptions({ url: `sqlite:${file}`, migrationsRun: true, sleep: 50, retryAfter: 1500 }, 200, true),
    );
    await store.init();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop(0)));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads running from the job reservation without writing it, and stores the attempts with the result', async () => {
    const queue = uniqueName('q');
    const id = randomUUID();
    await store.enqueue(newJob(queue, id), id, TTL);
    let finish!: (r: JobResult) => void;
    const { seen, consumer } = await record(store, { queues: [queue], idleMs: 50 }, (job) =>
      job.attempt === 1
        ? { type: 'retry', error: 'replay answered 503', delayMs: 0 }
        : new Promise<JobResult>((resolve) => (finish = resolve)),
    );
    consumers.push(consumer);
    await waitFor('the second attempt', () => seen.length === 2, { timeoutMs: 5000, intervalMs: 20 });
    // The row still says what the first attempt's result wrote; the reader sees the reservation.
    expect(row(id)).toMatchObject({ state: 'retrying', attempts: 1 });
    expect(await store.readStatus(id)).toMatchObject({ state: 'running', attempts: 2 });
    expect((await store.readStatus(id))?.nextAttemptAt).toBeUndefined();
    finish({ type: 'complete', status: { result: 'sealed', keepMs: TTL } });
    await waitFor('the final record', async () => (await store.readStatus(id))?.state === 'completed', {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    expect(row(id)).toMatchObject({ state: 'completed', attempts: 2 });
    await consumer.stop(0);
  });

  it('deletes expired records from the table while the worker is busy, not only hides them', async () => {
    const queue = uniqueName('q');
    const id = randomUUID();
    await store.enqueue(newJob(queue, id), id, TTL);
    // Enough work after it that the worker never idles (an idle worker prunes too).
    for (let i = 0; i < 150; i++) {
      const other = randomUUID();
      await store.enqueue(newJob(queue, other), other, TTL);
    }
    const { seen, consumer } = await record(store, { queues: [queue], idleMs: 60_000 }, async (job) => {
      if (job.payload.correlationId === id) return { type: 'complete', status: { result: 'sealed', keepMs: 200 } };
      await sleep(20);
      return { type: 'complete' };
    });
    consumers.push(consumer);
    await waitFor('the final record', () => row(id)?.state === 'completed', { timeoutMs: 5000, intervalMs: 20 });
    await waitFor('the expired record to be deleted', () => row(id) === undefined, { timeoutMs: 2500, intervalMs: 20 });
    expect(seen.length).toBeLessThan(151); // deleted while jobs were still being taken
    expect(await store.readStatus(id)).toBeNull();
    await consumer.stop(0);
  });
});

/** The same on every database: the SQL that replaces a record differs per dialect. */
describe.each([
  { name: 'SQLite', kind: sqliteStore },
  { name: 'MariaDB', kind: mariadbStore },
  { name: 'PostgreSQL', kind: postgresStore },
])('database driver status records on $name', ({ kind }) => {
  let target: StoreHarness;
  let store: RequestQueueStore;
  const consumers: JobConsumer[] = [];

  beforeAll(async () => {
    target = await kind.create();
    store = await target.open({ leaseMs: 1500 });
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop(0)));
    await store.close();
    await target.cleanup();
  });

  it('replaces the record of an id taken over, and the older job then leaves it alone', async () => {
    const [older, newer] = [uniqueName('q'), uniqueName('q')];
    const id = randomUUID();
    await store.enqueue(newJob(older, id), id, 50);
    await sleep(80); // the claim expires; the id is free for a new request
    const newerJob = await store.enqueue(newJob(newer, id), id, TTL);
    expect(newerJob).not.toBeNull();
    const { seen, consumer } = await record(store, { queues: [older] }, () => ({
      type: 'complete',
      status: { result: 'sealed-old', keepMs: TTL },
    }));
    consumers.push(consumer);
    await waitFor('the older job', () => seen.length === 1, { timeoutMs: 5000, intervalMs: 20 });
    await sleep(100);
    expect(await store.readStatus(id)).toMatchObject({ state: 'queued', queue: newer, jobId: newerJob, attempts: 0 });
    await consumer.stop(0);
  });

  it('puts the records of reserved jobs handed back unstarted (stop) back to queued, and runs them at once', async () => {
    const queue = uniqueName('q');
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) await store.enqueue(newJob(queue, id), id, TTL);
    // One round trip reserves all five (marked running); the first handler stops the consumer,
    // so the other four are handed back from the buffer without having started.
    let stopped: Promise<void> | undefined;
    const consumer: JobConsumer = await store.consume({ queues: [queue], concurrency: 5, idleMs: 50 }, async (job) => {
      stopped ??= consumer.stop(5000);
      return { type: 'complete', status: { result: `sealed-${job.payload.correlationId}`, keepMs: TTL } };
    });
    await waitFor('the first job', () => stopped !== undefined, { timeoutMs: 5000, intervalMs: 20 });
    await stopped;
    const records = await Promise.all(ids.map((id) => store.readStatus(id)));
    const completed = records.filter((r) => r?.state === 'completed');
    const queued = records.filter((r) => r?.state === 'queued');
    expect(completed).toHaveLength(1);
    expect(queued).toHaveLength(4);
    for (const r of queued) expect(r).toMatchObject({ attempts: 0 });
    const started = Date.now();
    const { seen, consumer: second } = await record(store, { queues: [queue], idleMs: 50 });
    consumers.push(second);
    await waitFor('the four jobs handed back', () => seen.length === 4, { timeoutMs: 1000, intervalMs: 20 }); // not after their lease
    expect(Date.now() - started).toBeLessThan(1500);
    expect(seen.every((job) => job.attempt === 1)).toBe(true);
    await waitFor(
      'every record final',
      async () => (await Promise.all(ids.map((id) => store.readStatus(id)))).every((r) => r?.state === 'completed'),
      { timeoutMs: 5000, intervalMs: 20 },
    );
    await second.stop(0);
  });

  it('writes each final record and next job of jobs completed together (one batch) as its own', async () => {
    const [queue, callbacks] = [uniqueName('q'), uniqueName('cb')];
    const ids = Array.from({ length: 8 }, () => randomUUID());
    for (const id of ids) await store.enqueue(newJob(queue, id), id, TTL);
    const keep = (id: string) => (id === ids[0] ? 1500 : TTL);
    const release = new Promise((resolve) => setTimeout(resolve, 200));
    const before = Date.now();
    const { seen, consumer } = await record(store, { queues: [queue], concurrency: 8 }, async (job) => {
      await release; // all eight finish in the same turn
      const id = job.payload.correlationId;
      // Half of them store a next job (a callback), as with and without a callbackUrl.
      const i = ids.findIndex((x) => x === id);
      const next = i % 2 === 0 ? newJob(callbacks, ids[i]) : undefined;
      return { type: 'complete', next, status: { result: `sealed-${id}`, keepMs: keep(id) } };
    });
    consumers.push(consumer);
    await waitFor('the eight jobs', () => seen.length === 8, { timeoutMs: 5000, intervalMs: 20 });
    await waitFor(
      'every record final',
      async () => (await Promise.all(ids.map((id) => store.readStatus(id)))).every((r) => r?.state === 'completed'),
      { timeoutMs: 5000, intervalMs: 20 },
    );
    for (const id of ids) {
      const rec = await store.readStatus(id);
      expect(rec).toMatchObject({ state: 'completed', attempts: 1, result: `sealed-${id}` });
      expect(rec!.nextAttemptAt).toBeUndefined();
    }
    const delivered = await record(store, { queues: [callbacks] });
    consumers.push(delivered.consumer);
    await waitFor('the four next jobs', () => delivered.seen.length === 4, { timeoutMs: 5000, intervalMs: 20 });
    expect(delivered.seen.map((job) => job.payload.correlationId).sort()).toEqual(
      ids.filter((_, i) => i % 2 === 0).sort(),
    );
    // Each expiry is its own: only the record kept 1.5 s is gone after that.
    expect(Date.now() - before).toBeLessThan(1500);
    await sleep(1600); // written before the records were all read final
    expect(await store.readStatus(ids[0]!)).toBeNull();
    for (const id of ids.slice(1)) expect(await store.readStatus(id)).toMatchObject({ state: 'completed' });
    await consumer.stop(0);
  });

  it('replaces a final record, result and expiry included, when a new request takes its id', async () => {
    const queue = uniqueName('q');
    const id = randomUUID();
    await store.enqueue(newJob(queue, id), id, 50, { fingerprint: 'fp-old' });
    const { consumer } = await record(store, { queues: [queue] }, () => ({
      type: 'complete',
      status: { result: 'sealed-old', keepMs: TTL },
    }));
    consumers.push(consumer);
    await waitFor('the final record', async () => (await store.readStatus(id))?.state === 'completed', {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    await consumer.stop(0);
    await sleep(60);
    const later = uniqueName('q');
    const jobId = await store.enqueue(newJob(later, id, 5000), id, TTL, { fingerprint: 'fp-new' });
    const rec = await store.readStatus(id);
    expect(rec).toMatchObject({ state: 'queued', attempts: 0, queue: later, jobId, fingerprint: 'fp-new' });
    expect(rec!.result).toBeUndefined();
    expect(rec!.nextAttemptAt).toBeGreaterThan(Date.now() + 4000);
  });
});
