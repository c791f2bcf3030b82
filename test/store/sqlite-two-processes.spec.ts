import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../lib/core/job.js';
import { DatabaseStore } from '../../lib/store/database/database.store.js';
import { resolveDatabaseOptions } from '../../lib/store/database/database-store.options.js';
import { buildForTests } from '../cli/support/build.js';

const ENQUEUER = join(dirname(fileURLToPath(import.meta.url)), 'support/sqlite-enqueuer.mjs');
const JOBS = 800;
/** Generous: the stall this guards against was the busy timeout (5 s) blocking the thread. */
const MAX_STALL_MS = 1000;

/**
 * An API and a worker in two processes on one SQLite file, both writing at once: the API
 * (a child process, the compiled store) enqueues while the worker (this process) drains.
 * better-sqlite3 is synchronous, so a process that waits for the other's write lock inside
 * SQLite stops its event loop; neither may stall for long, and no job may be lost.
 */
describe('SQLite, API and worker in separate processes', () => {
  let dir: string;
  let outDir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rq-sqlite-2p-'));
    outDir = join(dirname((await buildForTests()).cli), '../..');
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('neither event loop stalls while both write, and every enqueued job is handled once', async () => {
    const file = join(dir, 'queue.sqlite');
    const store = new DatabaseStore(
      resolveDatabaseOptions({ url: `sqlite:${file}`, migrationsRun: true, sleep: 20 }, 30_000, true),
    );
    await store.init();
    const handled = new Map<string, number>();
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const consumer = await store.consume({ queues: ['api:request'], concurrency: 8, idleMs: 20 }, async (job) => {
      const id = job.payload.correlationId;
      handled.set(id, (handled.get(id) ?? 0) + 1);
      return { type: 'complete', status: { result: 'done', keepMs: 60_000 } } satisfies JobResult;
    });
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [ENQUEUER], {
        env: {
          ...process.env,
          SQLITE_BUILD: outDir,
          SQLITE_FILE: file,
          SQLITE_JOBS: String(JOBS),
          SQLITE_PARALLEL: '4',
        },
        timeout: 120_000,
      });
      const api = JSON.parse(stdout.trim().split('\n').pop()!) as { ids: string[]; maxStallMs: number };
      await expect.poll(() => handled.size, { timeout: 60_000, interval: 100 }).toBe(api.ids.length);
      delay.disable();
      const workerStallMs = delay.max / 1e6;
      console.log(
        `longest event-loop stall: API ${api.maxStallMs.toFixed(0)} ms, worker ${workerStallMs.toFixed(0)} ms`,
      );
      expect(api.ids).toHaveLength(JOBS);
      expect(new Set(handled.keys())).toEqual(new Set(api.ids));
      expect([...handled.values()].every((n) => n === 1)).toBe(true);
      expect({ api: api.maxStallMs < MAX_STALL_MS, worker: workerStallMs < MAX_STALL_MS }).toEqual({
        api: true,
        worker: true,
      });
    } finally {
      delay.disable();
      await consumer.stop(5000);
      await store.close();
    }
  }, 180_000);
});
