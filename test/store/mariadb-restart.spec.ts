import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../lib/core/job.js';
import { DatabaseStore } from '../../lib/store/database/database.store.js';
import { resolveDatabaseOptions } from '../../lib/store/database/database-store.options.js';
import { StoreUnavailableError, type JobConsumer } from '../../lib/store/request-queue.store.js';
import { newJob, record, sleep, waitFor } from './store-conformance.js';
import { mysqlAdmin, uniqueName } from './store-targets.js';

const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const TTL = 60_000;

/**
 * A MariaDB server of this test's own (temporary data folder, free port, no grant tables),
 * stopped and started again while an API store and a worker store are connected. The
 * machine's MariaDB on 3306 is never touched.
 */
class PrivateMariadb {
  readonly dir = mkdtempSync(join(tmpdir(), 'rq-mariadb-'));
  port = 0;
  private server?: ChildProcess;

  async install(): Promise<void> {
    const out = spawnSync(
      INSTALL_DB,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        '--user=root',
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ],
      { encoding: 'utf8' },
    );
    if (out.status !== 0) throw new Error(`mariadb-install-db failed: ${out.stderr}`);
    this.port = await freePort();
  }

  async start(): Promise<void> {
    this.server = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(this.dir, 'sock')}`,
        `--pid-file=${join(this.dir, 'pid')}`,
        '--user=root',
        '--skip-grant-tables',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=16M',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(
      () => mysqlAdmin(async () => true, this.port).catch(() => false),
      20_000,
      'the private MariaDB to start',
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe.skipIf(!existsSync(MARIADBD) || !existsSync(INSTALL_DB))(
  'MariaDB restarted under a running API and worker',
  () => {
    const server = new PrivateMariadb();
    const database = uniqueName('rq_restart');
    const queue = uniqueName('q');
    let api: DatabaseStore;
    let worker: DatabaseStore;
    let consumer: JobConsumer | undefined;
    const errors: Error[] = [];

    async function open(): Promise<DatabaseStore> {
      const store = new DatabaseStore(
        resolveDatabaseOptions(
          {
            url: `mariadb://root@127.0.0.1:${server.port}/${database}`,
            migrationsRun: true,
            retryAfter: 8000,
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
      await server.install();
      await server.start();
      await mysqlAdmin((db) => db.query(`CREATE DATABASE ${database}`), server.port);
      api = await open();
      worker = await open();
    }, 60_000);

    afterAll(async () => {
      await consumer?.stop(0);
      await api?.close();
      await worker?.close();
      await server.stop();
      server.remove();
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
      await waitFor(() => seen.length === 1, 5000, 'the first job');
      expect(await enqueue('/slow')).not.toBeNull();
      await waitFor(() => seen.length === 2, 5000, 'the slow job to start');

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
      await waitFor(() => seen.some((j) => j.payload.path === '/after'), 10_000, 'the job queued after the restart');
      expect(await api.claim(randomUUID(), TTL)).toBe(true);
      expect(errors.length).toBeGreaterThan(0);

      // The slow job's result was written after the restart: it is gone, not run twice.
      await sleep(1000);
      expect(seen.filter((j) => j.payload.path === '/slow')).toHaveLength(1);
      const [rows] = await mysqlAdmin((db) => db.query(`SELECT COUNT(*) AS n FROM ${database}.jobs`), server.port);
      expect((rows as { n: number }[])[0]!.n).toBe(0);
      expect(seen.map((j) => j.payload.path)).toEqual(['/before', '/slow', '/after']);
    });
  },
);
