import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonRequest, openUnitKit, ReplayTarget, type UnitKit } from '../../test/support/unit-store.js';
import { waitFor } from '../../test/support/wait-for.js';
import type { JobResult, ReservedJob } from '../core/job.js';
import type { RouteQueueOptions } from '../core/request-gate.js';
import { RequestQueueConfigError, type RequestQueueModuleOptions } from '../request-queue.options.js';
import { RequestQueueRuntime } from '../runtime.js';
import { RequestQueueWorkerEvent } from './worker-events.js';
import { Worker, type JobReport, type JobRunner, type WorkerOptions, type WorkerStopReason } from './worker.js';

const QUEUE = 'api:request';

/**
 * A runner whose jobs run until the test finishes them: shows what the worker has in hand
 * at any moment, and how many it ever had at once.
 */
class HeldRunner implements JobRunner {
  readonly started: ReservedJob[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly finishers = new Map<string, (result: JobResult) => void>();

  process(job: ReservedJob): Promise<JobResult> {
    this.started.push(job);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve) =>
      this.finishers.set(job.payload.correlationId, (result) => {
        this.inFlight--;
        resolve(result);
      }),
    );
  }

  /** Ends the job of `correlationId` with `result` [complete]. */
  finish(correlationId: string, result: JobResult = { type: 'complete' }): void {
    const finish = this.finishers.get(correlationId);
    if (!finish) throw new Error(`no job of ${correlationId} in hand`);
    this.finishers.delete(correlationId);
    finish(result);
  }
}

/** A runner that throws, as a bug in a handler would. */
const throwingRunner: JobRunner = {
  process: () => Promise.reject(new Error('boom')),
};

let kit: UnitKit;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setUp(options: RequestQueueModuleOptions = {}): Promise<void> {
  kit = await openUnitKit(options);
  closers.push(() => kit.close());
}

/** What a worker told its hooks. */
interface Heard {
  jobs: JobReport[];
  looping: number;
  stopping: WorkerStopReason[];
  errors: Error[];
  recovered: ReservedJob[];
}

/** A worker over the unit store, `runner` running its jobs; stopped after the test. */
function worker(runner: JobRunner, options: Partial<WorkerOptions> = {}): { worker: Worker; heard: Heard } {
  const heard: Heard = { jobs: [], looping: 0, stopping: [], errors: [], recovered: [] };
  const w = new Worker(
    kit.store,
    runner,
    { queues: [QUEUE], concurrency: 1, gracePeriod: 10_000, sleep: 20, restartCheckInterval: 0, ...options },
    {
      onJob: (report) => heard.jobs.push(report),
      onLooping: () => heard.looping++,
      onStopping: (reason) => heard.stopping.push(reason),
      onError: (error) => heard.errors.push(error),
      onRecovered: (job) => heard.recovered.push(job),
    },
  );
  closers.push(() => w.stop());
  return { worker: w, heard };
}

/** Queues a request (no callback: `Prefer: respond-async`) through the gate. */
async function enqueue(id: string, route: RouteQueueOptions = {}): Promise<void> {
  const { req, query } = jsonRequest(id, { headers: { prefer: 'respond-async' } });
  const decision = await kit.gate().admit(req, query, route);
  if (decision.type !== 'queued') throw new Error(`not queued: ${JSON.stringify(decision)}`);
}

const states = async () => (await kit.store.listJobs({ limit: 100 })).map((j) => `${j.correlationId}:${j.state}`);

describe('Worker: running jobs', () => {
  it('replays queued requests through the processor until stopped, and reports each job', async () => {
    await setUp();
    const target = await new ReplayTarget().start();
    closers.push(() => target.close());
    const { worker: w, heard } = worker(kit.processor(target.url), { concurrency: 2 });
    await w.start();
    await enqueue('w-1');
    await enqueue('w-2');
    await waitFor('two jobs to finish', () => heard.jobs.length === 2);
    expect(heard.jobs.map((r) => [r.job.payload.correlationId, r.result.type]).sort()).toEqual([
      ['w-1', 'complete'],
      ['w-2', 'complete'],
    ]);
    for (const report of heard.jobs) {
      expect(report.startedAt).toBeInstanceOf(Date);
      expect(report.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(target.requests.map((r) => r.headers['x-correlation-id']).sort()).toEqual(['w-1', 'w-2']);
    expect(await kit.store.readStatus('w-1')).toMatchObject({ state: 'completed' });
    expect(heard.looping).toBeGreaterThan(0);

    await w.stop();
    await expect(w.stopped).resolves.toBe('stopped');
    expect(heard.stopping).toEqual(['stopped']);
  });

  it('starts once and stops once: a second start or stop changes nothing, and a stopped worker never starts', async () => {
    await setUp();
    const runner = new HeldRunner();
    const { worker: w, heard } = worker(runner);
    await w.start();
    await w.start();
    await enqueue('w-once');
    await waitFor('the job to start', () => runner.started.length === 1);
    const first = w.stop();
    const second = w.stop('restart');
    expect(second).toBe(first);
    runner.finish('w-once');
    await Promise.all([first, second]);
    await expect(w.stopped).resolves.toBe('stopped');
    expect(heard.stopping).toEqual(['stopped']);

    const { worker: late } = worker(runner);
    await late.stop();
    await late.start();
    await enqueue('w-never');
    expect(await states()).toEqual(['w-never:waiting']);
    await expect(late.stopped).resolves.toBe('stopped');
  });

  it('has at most `concurrency` jobs in hand; the next starts when one ends', async () => {
    await setUp();
    for (const id of ['w-a', 'w-b', 'w-c']) await enqueue(id);
    const runner = new HeldRunner();
    const { worker: w } = worker(runner, { concurrency: 2 });
    await w.start();
    await waitFor('two jobs in hand', () => runner.started.length === 2);
    expect((await states()).sort()).toEqual(['w-a:running', 'w-b:running', 'w-c:waiting']);

    runner.finish('w-a');
    await waitFor('the third job to start', () => runner.started.length === 3);
    runner.finish('w-b');
    runner.finish('w-c');
    await waitFor('every job to be settled', async () => (await states()).length === 0);
    expect(runner.maxInFlight).toBe(2);
    await w.stop();
  });

  it('applies --tries and --timeout to replays, over what each request was queued with', async () => {
    await setUp();
    await enqueue('w-override', { tries: 2, timeout: 5000 });
    const runner = new HeldRunner();
    const { worker: w } = worker(runner, { tries: 9, timeout: 1234 });
    await w.start();
    await waitFor('the job to start', () => runner.started.length === 1);
    expect(runner.started[0]!.payload).toMatchObject({ kind: 'replay', tries: 9, timeout: 1234 });
    runner.finish('w-override');
    await w.stop();
  });

  it('tells onRecovered about a job a dead worker held, then runs it', async () => {
    // A lease just over the longest attempt, so the abandoned job comes back quickly.
    await setUp({ timeout: 50, callback: { timeout: 50 }, database: { retryAfter: 100 } });
    await enqueue('w-recover');
    const dead = new HeldRunner();
    const { worker: first } = worker(dead, { gracePeriod: 0 });
    await first.start();
    await waitFor('the first worker to take the job', () => dead.started.length === 1);
    await first.stop(); // it never finishes: left to its lease, as by a worker that died

    const runner = new HeldRunner();
    const { worker: second, heard } = worker(runner);
    await second.start();
    await waitFor('the job to come back', () => runner.started.length === 1);
    expect(heard.recovered.map((j) => [j.payload.correlationId, j.leaseLosses])).toEqual([['w-recover', 1]]);
    runner.finish('w-recover');
    await waitFor('the job to finish', () => heard.jobs.length === 1);
    expect(await kit.store.readStatus('w-recover')).toMatchObject({ state: 'completed' });
    await second.stop();
  });
});

describe('Worker: a handler that throws', () => {
  it('retries the job after a delay, its attempt counted', async () => {
    await setUp();
    await enqueue('w-throw', { tries: 2 });
    const { worker: w, heard } = worker(throwingRunner);
    await w.start();
    await waitFor('the first attempt', () => heard.jobs.length === 1);
    const [first] = heard.jobs;
    expect(first!.result).toMatchObject({ type: 'retry', error: 'worker error: boom' });
    const delayMs = (first!.result as Extract<JobResult, { type: 'retry' }>).delayMs;
    expect(delayMs).toBeGreaterThan(0);
    // Not runnable again before the delay: the store holds it delayed, as `retrying`.
    await waitFor('the retry to be stored', async () => (await states()).includes('w-throw:delayed'));
    const [job] = await kit.store.listJobs({ limit: 10 });
    expect(job!.availableAt).toBeGreaterThanOrEqual(first!.startedAt.getTime() + delayMs);
    expect(await kit.store.readStatus('w-throw')).toMatchObject({ state: 'retrying', attempts: 1 });
    await w.stop();
  });

  it('fails the job when its last attempt throws: never dropped', async () => {
    await setUp();
    await enqueue('w-throw-last', { tries: 1 });
    const { worker: w, heard } = worker(throwingRunner);
    await w.start();
    await waitFor('the attempt', () => heard.jobs.length === 1);
    expect(heard.jobs[0]!.result).toEqual({ type: 'fail', error: 'worker error: boom' });
    await waitFor('the job to be failed', async () => (await kit.store.listFailed()).length === 1);
    expect(await kit.store.listFailed()).toMatchObject([
      { correlationId: 'w-throw-last', error: 'worker error: boom' },
    ]);
    expect(await kit.store.readStatus('w-throw-last')).toMatchObject({ state: 'failed' });
    await w.stop();
  });

  it('keeps running when a hook throws', async () => {
    await setUp();
    const runner = new HeldRunner();
    let reports = 0;
    const w = new Worker(
      kit.store,
      runner,
      { queues: [QUEUE], concurrency: 1, gracePeriod: 10_000, sleep: 20, restartCheckInterval: 0 },
      {
        onJob: () => {
          reports++;
          throw new Error('a broken listener');
        },
        onLooping: () => {
          throw new Error('a broken listener');
        },
      },
    );
    closers.push(() => w.stop());
    await w.start();
    await enqueue('w-hook-1');
    await waitFor('the first job', () => runner.started.length === 1);
    runner.finish('w-hook-1');
    await enqueue('w-hook-2');
    await waitFor('the second job', () => runner.started.length === 2);
    runner.finish('w-hook-2');
    await waitFor('both reports', () => reports === 2);
    await w.stop();
    await expect(w.stopped).resolves.toBe('stopped');
  });
});

describe('Worker: stopping', () => {
  it('waits for the jobs in hand within the grace period, and they are settled', async () => {
    await setUp();
    await enqueue('w-drain');
    const runner = new HeldRunner();
    const { worker: w, heard } = worker(runner, { gracePeriod: 30_000 });
    await w.start();
    await waitFor('the job to start', () => runner.started.length === 1);
    let stopped = false;
    const stopping = w.stop().then(() => (stopped = true));
    await waitFor('the worker to stop taking jobs', () => heard.stopping.length === 1);
    await enqueue('w-after-stop');
    expect(stopped).toBe(false); // the job in hand holds the stop
    runner.finish('w-drain');
    await stopping;
    expect(await kit.store.readStatus('w-drain')).toMatchObject({ state: 'completed' });
    expect(runner.started.map((j) => j.payload.correlationId)).toEqual(['w-drain']);
    expect(await states()).toEqual(['w-after-stop:waiting']);
  });

  it('leaves a job that outlives the grace period to its lease: not settled, not lost', async () => {
    await setUp();
    await enqueue('w-slow');
    const runner = new HeldRunner();
    const { worker: w } = worker(runner, { gracePeriod: 50 });
    await w.start();
    await waitFor('the job to start', () => runner.started.length === 1);
    await w.stop();
    await expect(w.stopped).resolves.toBe('stopped');
    expect(runner.inFlight).toBe(1);
    expect(await states()).toEqual(['w-slow:running']);
    expect(await kit.store.readStatus('w-slow')).toMatchObject({ state: 'running' });
  });

  it('stops by itself after maxJobs, leaving the rest queued', async () => {
    await setUp();
    for (const id of ['w-m1', 'w-m2', 'w-m3']) await enqueue(id);
    const runner = new HeldRunner();
    const { worker: w, heard } = worker(runner, { maxJobs: 2, concurrency: 3 });
    await w.start();
    await waitFor('two jobs', () => runner.started.length === 2);
    runner.finish('w-m1');
    runner.finish('w-m2');
    await expect(w.stopped).resolves.toBe('max-jobs');
    expect(heard.stopping).toEqual(['max-jobs']);
    expect(await states()).toEqual(['w-m3:waiting']);
  });

  it('stops by itself once the queues are empty with stopWhenEmpty', async () => {
    await setUp();
    await enqueue('w-e1');
    const runner = new HeldRunner();
    const { worker: w } = worker(runner, { stopWhenEmpty: true });
    await w.start();
    await waitFor('the job', () => runner.started.length === 1);
    runner.finish('w-e1');
    await expect(w.stopped).resolves.toBe('empty');
    expect(await states()).toEqual([]);
  });

  it('stops by itself after maxTime', async () => {
    await setUp();
    const { worker: w, heard } = worker(new HeldRunner(), { maxTime: 50 });
    await w.start();
    await expect(w.stopped).resolves.toBe('max-time');
    expect(heard.stopping).toEqual(['max-time']);
  });

  it('stops on a restart signalled after it started, not on one from before', async () => {
    await setUp();
    await kit.store.signalRestart(); // an earlier restart: the baseline
    const runner = new HeldRunner();
    const { worker: w, heard } = worker(runner, { restartCheckInterval: 10 });
    await w.start();
    await enqueue('w-r1');
    await waitFor('a job after several restart checks', () => runner.started.length === 1);
    runner.finish('w-r1');
    await waitFor('the job to be settled', async () => (await states()).length === 0);
    expect(heard.stopping).toEqual([]);

    await waitFor('the clock to move on', async () => (await kit.store.lastRestart())! < Date.now());
    await kit.store.signalRestart();
    await expect(w.stopped).resolves.toBe('restart');
    expect(heard.stopping).toEqual(['restart']);
  });

  it('ends with a config error, its jobs in hand done, when the store loses its tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rq-worker-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'queue.sqlite');
    await setUp({ database: { url: `sqlite:${file}` } });
    const { worker: w, heard } = worker(new HeldRunner());
    await w.start();
    const db = new Database(file);
    db.exec('DROP TABLE jobs');
    db.close();
    await expect(w.stopped).rejects.toThrow(RequestQueueConfigError);
    await expect(w.stopped).rejects.toThrow(/jobs/);
    expect(heard.errors).toEqual([]);
  });
});

describe('Worker: events', () => {
  it('is heard as request-queue.worker.looping and .stopping, with its queues and the reason, through the runtime', async () => {
    await setUp();
    const runtime = new RequestQueueRuntime({ ...kit.options, baseUrl: 'http://127.0.0.1:1' }, kit.store);
    const heard: [string, unknown][] = [];
    runtime.addEventListener((name, payload) => heard.push([name, payload]));
    const w = runtime.createWorker({ queues: ['high', QUEUE], sleep: 20, restartCheckInterval: 0, maxTime: 50 });
    closers.push(() => runtime.close());
    await w.start();
    await expect(w.stopped).resolves.toBe('max-time');
    expect(heard.find(([name]) => name === RequestQueueWorkerEvent.Looping)).toEqual([
      RequestQueueWorkerEvent.Looping,
      { queues: ['high', QUEUE] },
    ]);
    expect(heard.filter(([name]) => name === RequestQueueWorkerEvent.Stopping)).toEqual([
      [RequestQueueWorkerEvent.Stopping, { queues: ['high', QUEUE], reason: 'max-time' }],
    ]);
  });
});
