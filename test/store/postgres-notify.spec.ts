import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { JobPayload, JobResult } from '../../lib/core/job.js';
import { DatabaseStore } from '../../lib/store/database/database.store.js';
import { resolveDatabaseOptions } from '../../lib/store/database/database-store.options.js';
import { LISTENER_APPLICATION_NAME } from '../../lib/store/database/pg-job-listener.js';
import type { JobConsumer } from '../../lib/store/request-queue.store.js';
import { pgAdmin, POSTGRES, uniqueName } from '../support/store-servers.js';

const QUEUE = 'api:request';

function replay(): JobPayload {
  return {
    v: 1,
    kind: 'replay',
    correlationId: randomUUID(),
    method: 'PUT',
    path: '/user/1',
    callbackUrl: 'https://receiver.example/callback',
    queuedAt: Date.now(),
    tries: 1,
    backoff: { type: 'fixed', delay: 1000 },
    timeout: 1000,
    sealed: 'x',
  };
}

/**
 * PostgreSQL LISTEN/NOTIFY: a job stored by one process (here a store of its own, with its
 * own connections) wakes an idle worker elsewhere at once, instead of after its `sleep`
 * (here a minute, longer than the test may run).
 */
describe('PostgreSQL: stored jobs announced to idle workers', () => {
  const database = uniqueName('rq_notify');
  const open: DatabaseStore[] = [];
  const consumers: JobConsumer[] = [];
  let created = false;

  async function store(sleep: number): Promise<DatabaseStore> {
    if (!created) {
      await pgAdmin((db) => db.query(`CREATE DATABASE ${database}`));
      created = true;
    }
    const s = new DatabaseStore(
      resolveDatabaseOptions(
        {
          options: { type: 'postgres', host: POSTGRES.host, port: POSTGRES.port, username: POSTGRES.user, database },
          migrationsRun: true,
          sleep,
        },
        1000,
        true,
      ),
    );
    await s.init();
    open.push(s);
    return s;
  }

  async function worker(sleep: number, handled: string[]): Promise<DatabaseStore> {
    const s = await store(sleep);
    consumers.push(
      await s.consume({ queues: [QUEUE], concurrency: 2 }, async (job) => {
        handled.push(job.payload.correlationId);
        return { type: 'complete' } satisfies JobResult;
      }),
    );
    return s;
  }

  const listeners = () =>
    pgAdmin(async (db) => {
      const { rows } = await db.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [
        database,
        LISTENER_APPLICATION_NAME,
      ]);
      return rows.map((r: { pid: number }) => r.pid);
    });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop(1000)));
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    if (created) await pgAdmin((db) => db.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  });

  it('an idle worker with a one-minute sleep starts a job another process stored, at once', async () => {
    const handled: string[] = [];
    await worker(60_000, handled);
    const api = await store(60_000);
    await new Promise((r) => setTimeout(r, 200)); // the worker has looked once and is idle
    const jobs = [replay(), replay(), replay()];
    for (const job of jobs) {
      await api.enqueue({ queue: QUEUE, payload: job, delayMs: 0 }, job.correlationId, 60_000);
      await expect.poll(() => handled.includes(job.correlationId), { timeout: 15_000 }).toBe(true);
    }
    expect(handled.sort()).toEqual(jobs.map((j) => j.correlationId).sort());
  });

  it('a delayed job is not announced, and a rolled-back claim stores nothing to announce', async () => {
    const handled: string[] = [];
    await worker(60_000, handled);
    const api = await store(60_000);
    const delayed = replay();
    expect(await api.enqueue({ queue: QUEUE, payload: delayed, delayMs: 500 }, delayed.correlationId, 60_000)).not.toBe(
      null,
    );
    const taken = replay();
    expect(await api.enqueue({ queue: QUEUE, payload: taken, delayMs: 0 }, delayed.correlationId, 60_000)).toBe(null);
    const now = replay();
    await api.enqueue({ queue: QUEUE, payload: now, delayMs: 0 }, now.correlationId, 60_000);
    await expect.poll(() => handled, { timeout: 15_000 }).toContain(now.correlationId);
    expect(handled).toEqual([now.correlationId]); // the delayed job waits for the worker's sleep
  });

  it('when the listening connection is killed, the worker polls on its sleep and listens again', async () => {
    const handled: string[] = [];
    await worker(1000, handled);
    const api = await store(1000);
    const [pid] = await listeners();
    expect(pid).toBeDefined();
    await pgAdmin((db) => db.query('SELECT pg_terminate_backend($1)', [pid]));
    const during = replay();
    await api.enqueue({ queue: QUEUE, payload: during, delayMs: 0 }, during.correlationId, 60_000);
    await expect.poll(() => handled, { timeout: 15_000 }).toContain(during.correlationId);
    await expect.poll(async () => (await listeners()).filter((p) => p !== pid).length, { timeout: 15_000 }).toBe(1);
  });
});
