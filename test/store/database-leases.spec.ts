import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../lib/core/job.js';
import type { JobConsumer, RequestQueueStore } from '../../lib/store/request-queue.store.js';
import { newJob, record, sleep } from './store-conformance.js';
import { waitFor } from '../support/wait-for.js';
import { uniqueName } from '../support/store-servers.js';
import { mariadbStore, postgresStore, sqliteStore, type StoreHarness } from '../support/stores.js';

const LEASE_MS = 600;
const TTL = 60_000;

/** What the database driver does with reservations beyond the contract's common ground. */
describe.each([
  { name: 'SQLite', kind: sqliteStore },
  { name: 'MariaDB', kind: mariadbStore },
  { name: 'PostgreSQL', kind: postgresStore },
])('database driver leases on $name', ({ kind }) => {
  let target: StoreHarness;
  let stores: RequestQueueStore[] = [];
  const consumers: JobConsumer[] = [];

  const open = async () => {
    const store = await target.open({ leaseMs: LEASE_MS });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    target = await kind.create();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop(0)));
    for (const s of stores) await s.close();
    stores = [];
    await target.cleanup();
  });

  it('ignores the result of a worker that lost its job to an expired lease', async () => {
    const [a, b] = [await open(), await open()];
    const queue = uniqueName('q');
    const id = randomUUID();
    await a.enqueue(newJob(queue, id), id, TTL);

    let finishFirst!: (r: JobResult) => void;
    const first = await record(
      a,
      { queues: [queue] },
      () => new Promise<JobResult>((resolve) => (finishFirst = resolve)),
    );
    consumers.push(first.consumer);
    await waitFor('the first worker to take the job', () => first.seen.length === 1, {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    await first.consumer.stop(0); // gives up: the lease is no longer renewed

    let finishSecond!: (r: JobResult) => void;
    const second = await record(b, { queues: [queue] }, (job) =>
      job.payload.kind === 'replay'
        ? new Promise<JobResult>((resolve) => (finishSecond = resolve))
        : { type: 'complete' },
    );
    consumers.push(second.consumer);
    await waitFor('the job to come back', () => second.seen.length === 1, { timeoutMs: LEASE_MS * 5, intervalMs: 20 });
    expect(second.seen[0]).toMatchObject({ id: first.seen[0]!.id, attempt: 2 });

    // The first worker's late answer changes nothing: no callback stored, the job still held.
    const callback = (n: string) => ({
      type: 'complete' as const,
      next: newJob(queue, id, 0, { kind: 'callback', webhookId: n }),
    });
    finishFirst(callback('late'));
    await sleep(300);
    expect(second.seen).toHaveLength(1);

    finishSecond(callback('holder'));
    await waitFor("the holder's callback job", () => second.seen.length === 2, { timeoutMs: 5000, intervalMs: 20 });
    await sleep(LEASE_MS * 2);
    expect(second.seen.map((j) => j.payload.webhookId ?? j.payload.kind)).toEqual(['replay', 'holder']);
  });

  it('hands a job that keeps losing its lease over to be failed, counting its lost leases, instead of running it forever', async () => {
    const store = await open();
    const queue = uniqueName('q');
    const id = randomUUID();
    await store.enqueue(newJob(queue, id, 0, { tries: 1 }), id, TTL);
    // tries 1 + 2 tolerated losses: the 4th reservation hands it over to be failed, not run.
    for (let run = 1; run <= 3; run++) {
      const dead = await record(store, { queues: [queue] }, () => new Promise<JobResult>(() => {}));
      await waitFor(`run ${run}`, () => dead.seen.length === 1, { timeoutMs: LEASE_MS * 5, intervalMs: 20 });
      expect(dead.seen[0]).toMatchObject({ attempt: run, leaseLosses: run - 1 });
      expect(dead.seen[0]!.leasesExhausted).toBeUndefined();
      await dead.consumer.stop(0);
    }
    // A handler that ignores leasesExhausted still ends it failed (the consume loop enforces it).
    const last = await record(store, { queues: [queue] });
    consumers.push(last.consumer);
    const failed = await waitFor(
      'the job in failed jobs',
      async () => (await store.listFailed()).find((f) => f.queue === queue),
      { timeoutMs: LEASE_MS * 5, intervalMs: 20 },
    );
    expect(failed).toMatchObject({ correlationId: id, attempts: 4 });
    expect(failed.error).toMatch(/worker died 3 times while running it/);
    expect(last.seen).toHaveLength(1);
    expect(last.seen[0]).toMatchObject({ attempt: 3, leaseLosses: 3, leasesExhausted: true });
  });

  it('moves a row it cannot read to failed jobs without running it', async () => {
    const store = await open();
    const queue = uniqueName('q');
    await target.exec!(
      'INSERT INTO jobs (queue, payload, attempts, reserved_at, available_at, created_at) VALUES (?, ?, 0, NULL, 0, 0)',
      [queue, '{"not":"a request-queue job"}'],
    );
    const { seen, consumer } = await record(store, { queues: [queue] });
    consumers.push(consumer);
    const failed = await waitFor(
      'the row in failed jobs',
      async () => (await store.listFailed()).find((f) => f.queue === queue),
      { timeoutMs: 5000, intervalMs: 20 },
    );
    expect(failed.error).toMatch(/unknown payload shape/);
    expect(seen).toHaveLength(0);
  });
});
