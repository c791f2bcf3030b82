import { EventEmitter } from 'node:events';
import { Test } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  createStore,
  ExitCode,
  RequestQueueConfigError,
  RequestQueueLifecycle,
  RequestQueueModule,
  RequestQueueRuntime,
  resolveOptions,
  runRequestQueueCli,
  type RequestQueueModuleOptions,
} from '../../lib/index.js';
import { waitFor } from '../support/wait-for.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { runSql } from '../support/run-sql.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { createTestApp } from '../support/test-app.js';

const FIX = 'run "npx request-queue --config <your config file> migrate" (or set database.migrationsRun: true)';
const TABLES =
  '(jobs, failed_jobs, request_queue_claims, request_queue_signals, request_queue_requests, request_queue_throughput, request_queue_flow_slots, request_queue_flow_tickets)';

/** docs/database-driver.md "Migrations": a database without the request queue's tables is reported with the fix, never a silent 503 or a loop. */
const cases = (await storeMatrix()).filter(({ kind }) => kind.name !== 'redis');

describe.each(cases)('missing tables on $kind.name', ({ kind, skip }) => {
  let harness: StoreHarness;
  const it = skip ? test.skip : test;

  beforeEach(async () => {
    if (!skip) harness = await kind.create();
  });
  afterEach(async () => {
    await harness?.cleanup();
  });

  /** The harness's database, with or without the migrations at start. */
  function options(migrationsRun: boolean): RequestQueueModuleOptions {
    return {
      ...harness.options,
      database: { ...harness.options.database, migrationsRun, sleep: 50 },
      baseUrl: 'http://127.0.0.1:9',
      secret: 'test-secret',
    };
  }
  const url = () => harness.options.database!.url!;

  it('keeps the app from starting, naming the database, the tables and the fix', async () => {
    const compiling = Test.createTestingModule({ imports: [RequestQueueModule.forRoot(options(false))] }).compile();
    const err = await compiling.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RequestQueueConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(
      /^the request queue's tables are missing in the (SQLite|MySQL\/MariaDB|PostgreSQL) database '/,
    );
    expect(message).toContain(url().startsWith('sqlite:') ? url().slice('sqlite:'.length) : url().split('/').at(-1));
    expect(message).toContain(`${TABLES}: ${FIX}`);
  });

  it('makes request-queue work exit 4 (configuration) at once with the same message', async () => {
    const stderr: string[] = [];
    const code = await runRequestQueueCli(['work'], {
      connect: async () => {
        const resolved = resolveOptions(options(false));
        const runtime = new RequestQueueRuntime(resolved, await createStore(resolved));
        return { runtime, close: () => runtime.close() };
      },
      stdout: () => {},
      stderr: (text) => stderr.push(text),
      signals: new EventEmitter(),
    });
    expect(code).toBe(ExitCode.Config);
    expect(stderr.join('')).toMatch(/^Configuration error: the request queue's tables are missing in the .*migrate/);
  });

  it('stops a running worker (exit 4) when its tables disappear, instead of looping on the store error', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const running = runRequestQueueCli(['work'], {
      connect: async () => {
        const resolved = resolveOptions(options(true));
        const runtime = new RequestQueueRuntime(resolved, await createStore(resolved));
        return { runtime, close: () => runtime.close() };
      },
      stdout: (text) => stdout.push(text),
      stderr: (text) => stderr.push(text),
      signals: new EventEmitter(),
    });
    await waitFor('the worker to start', () => stdout.join('').includes('Processing jobs'), { timeoutMs: 10_000 });
    await runSql(url(), ['ALTER TABLE jobs RENAME TO jobs_gone']);
    expect(await running).toBe(ExitCode.Config);
    const errors = stderr.join('');
    expect(errors).not.toContain('Store error');
    expect(errors).toMatch(/^Configuration error: the request queue's tables are missing in the .*jobs.*migrate/);
    expect(errors).toContain(FIX);
  });

  it('rejects the worker of an app (untilWorkerStops) with the fix when its tables disappear', async () => {
    const resolved = resolveOptions(options(true));
    const runtime = new RequestQueueRuntime(resolved, await createStore(resolved));
    try {
      const errors: Error[] = [];
      const worker = runtime.createWorker({}, { onError: (e) => errors.push(e) });
      await worker.start();
      await runSql(url(), ['ALTER TABLE jobs RENAME TO jobs_gone']);
      const err = await worker.stopped.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RequestQueueConfigError);
      expect((err as Error).message).toContain(FIX);
      expect(errors.filter((e) => /jobs/.test(e.message))).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it("stops an app's own worker with the fix in its log, and untilWorkerStops() rejects with it", async () => {
    const logger = new CapturedLogger();
    const t = await createTestApp('express', { ...harness.options, database: options(true).database }, logger);
    try {
      const stops = t.app.get(RequestQueueLifecycle).untilWorkerStops();
      await runSql(url(), ['ALTER TABLE jobs RENAME TO jobs_gone']);
      await expect(stops).rejects.toBeInstanceOf(RequestQueueConfigError);
      const [line, ...more] = logger.of('error');
      expect(more).toEqual([]);
      expect(line).toMatch(/^worker stopped: the request queue's tables are missing in the /);
      expect(line).toContain(FIX);
      expect(logger.of('warn').filter((l) => l.includes('jobs'))).toEqual([]); // no loop of store errors
    } finally {
      await t.close();
    }
  });
});
