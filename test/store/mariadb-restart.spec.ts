import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../lib/core/job.js';
import { DatabaseStore } from '../../lib/store/database/database.store.js';
import { resolveDatabaseOptions } from '../../lib/store/database/database-store.options.js';
import { StoreUnavailableError, type JobConsumer } from '../../lib/store/request-queue.store.js';
import { newJob, record, sleep } from './store-conformance.js';
import { waitFor } from '../support/wait-for.js';
import { PrivateMariadb } from '../support/private-servers.js';
import { mysqlAdmin, uniqueName } from '../support/store-servers.js';

const TTL = 60_000;
/**
 * The lease. The slow job's result is written once the server is back, retried with a
 * doubling pause (up to 5 s) until the lease has passed: the lease must outlast the whole
 * outage (a clean shutdown, the pause, a start on a loaded machine), or the write gives up,
 * the job stays reserved, and it runs again after its lease.
 */
const LEASE_MS = 30_000;

const server = new PrivateMariadb(uniqueName('rq_restart'));

describe.skipIf(server.unavailable() !== null)('MariaDB restarted under a running API and worker', () => {
  const queue = uniqueName('q');
  let api: DatabaseStore;
  let worker: DatabaseStore;
  let consumer: JobConsumer | undefined;
  const errors: Error[] = [];

  async function open(): Promise<DatabaseStore> {
    const store = new DatabaseStore(
      resolveDatabaseOptions(
        {
          ...server.options().database,
          migrationsRun: true,
          retryAfter: LEASE_MS,
          sleep: 100,
        },
        1000,
        true,
      ),
    );
    await store.init();
    return store;
  }

  beforeAll(async () => {
    await server.setUp(); // its data folder, a free port, the server started, the database created
    api = await open();
    worker = await open();
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop(0);
    await api?.close();
    await worker?.close();
    await server.remove();
  });

  it('answers 503 fast while the server is down, then carries on without a restart of its own', async () => {
    let finishSlow!: () => void;
    const slowMayFinish = new Promise<void>((resolve) => (finishSlow = resolve));
    const { seen, consumer: c } = await record(
      worker,
      { queues: [queue], concurrency: 2, idleMs: 100, onError: (e) => errors.push(e) },
      async (job): Promise<JobResult> => {
        // Still running when the server goes away; it finishes while the server is down, and
        // its result is written once the server is back.
        if (job.payload.path === '/slow') await slowMayFinish;
        return { type: 'complete' };
      },
    );
    consumer = c;
    const enqueue = (path: string) => {
      const id = randomUUID();
      return api.enqueue(newJob(queue, id, 0, { path }), id, TTL);
    };

    expect(await enqueue('/before')).not.toBeNull();
    await waitFor('the first job', () => seen.length === 1, { timeoutMs: 5000, intervalMs: 20 });
    expect(await enqueue('/slow')).not.toBeNull();
    await waitFor('the slow job to start', () => seen.length === 2, { timeoutMs: 5000, intervalMs: 20 });

    await server.stop();
    for (const call of [() => enqueue('/while-down'), () => api.claim(randomUUID(), TTL)]) {
      const started = Date.now();
      await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(2500);
    }
    finishSlow();
    await sleep(800); // the worker keeps looking meanwhile and reports that it cannot; the slow job's write waits

    await server.start();
    expect(await enqueue('/after')).not.toBeNull();
    await waitFor('the job queued after the restart', () => seen.some((j) => j.payload.path === '/after'), {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(await api.claim(randomUUID(), TTL)).toBe(true);
    expect(errors.length).toBeGreaterThan(0);

    // The slow job's result was written after the restart (its next try comes up to 5 s
    // after the server is back): it is gone, not run twice.
    const jobsLeft = async () => {
      const [rows] = await mysqlAdmin(
        (db) => db.query(`SELECT COUNT(*) AS n FROM ${server.database}.jobs`),
        server.port,
      );
      return Number((rows as { n: number | string }[])[0]!.n);
    };
    await waitFor("the slow job's result to be written", async () => (await jobsLeft()) === 0, {
      timeoutMs: 15_000,
      intervalMs: 100,
      detail: () => `seen: ${seen.map((j) => j.payload.path).join(', ')}`,
    });
    expect(await jobsLeft()).toBe(0);
    expect(seen.filter((j) => j.payload.path === '/slow')).toHaveLength(1);
    expect(seen.map((j) => j.payload.path)).toEqual(['/before', '/slow', '/after']);
  });
});
