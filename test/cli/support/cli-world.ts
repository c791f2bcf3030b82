import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectFromEnv, runRequestQueueCli, type RequestQueueRuntime } from '../../../lib/index.js';
import { buildForTests, type TestBuild } from './build.js';
import { enqueue, type EnqueueInput } from './enqueue.js';
import { redisStore, storeMatrix, type StoreHarness, type StoreKind } from '../../support/stores.js';
import { apiRuntime, CALLBACK_TOKEN, processEnv } from './api-runtime.js';
import { answerByPath, HttpRecorder } from '../../support/http-recorder.js';

/** What a CLI spec works with on one store; filled in by the `beforeAll` that `useCliWorld` registers. */
export interface CliWorld {
  /** The compiled `request-queue` bin and sample worker. */
  build: TestBuild;
  harness: StoreHarness;
  /** The app workers replay requests to (it records what it received). */
  api: HttpRecorder;
  /** Where callbacks go. */
  receiver: HttpRecorder;
  /** An API-side runtime over the harness's store, to queue requests. */
  runtime: RequestQueueRuntime;
  /** The environment a spawned worker or command needs to reach the same store and apps. */
  env: Record<string, string>;
  /** Queues a request for `path`, calling back to the receiver; resolves to its correlation id. */
  queue: (path: string, extra?: Partial<EnqueueInput>) => Promise<string>;
  /** Runs every ready job of `queues` in this process until they are empty. */
  drain: (queues: string[]) => Promise<void>;
  /** Runs one command line in this process, as the bin would, against the harness's store. */
  cli: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * The stores the CLI suites run on (every one, skipped only outside CI when a server is
 * missing), and the one that the store-independent cases (flag parsing, signals, the bin's
 * plumbing) run on, to keep CI within its time budget.
 */
export const CLI_STORES = await storeMatrix();
export const STORE_INDEPENDENT: StoreKind = redisStore;

type ItFn = ReturnType<typeof it.skipIf>;

/**
 * `it` for a case that reads no store of its own (flag parsing, signals, plumbing): it is
 * registered in the `describe` of `STORE_INDEPENDENT` only, and is absent (not skipped) in
 * the others.
 */
export function onOneStore(kind: StoreKind, skip: string | null): ItFn {
  return kind === STORE_INDEPENDENT ? it.skipIf(skip) : ((() => {}) as unknown as ItFn);
}

/**
 * Registers the hooks every CLI spec needs inside a `describe` for one store: the compiled
 * bin, a fresh store (its tables created, as an operator's `migrate` would), the target app,
 * a callback receiver and an API runtime, all closed and removed afterwards. Nothing is
 * opened when the store is skipped (`skip` set).
 */
export function useCliWorld(kind: StoreKind, skip: string | null): CliWorld {
  const world = {
    queue: (path: string, extra: Partial<EnqueueInput> = {}) =>
      enqueue(world.runtime, {
        path,
        callbackUrl: `${world.receiver.origin}/callback`,
        callbackToken: CALLBACK_TOKEN,
        ...extra,
      }),
    drain: async (queues: string[]) => {
      const worker = world.runtime.createWorker({ queues, stopWhenEmpty: true, restartCheckInterval: 0 });
      await worker.start();
      expect(await worker.stopped).toBe('empty');
    },
    cli: async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runRequestQueueCli(args, {
        connect: () => connectFromEnv(world.env),
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
      });
      return { code, stdout, stderr };
    },
  } as CliWorld;

  beforeAll(async () => {
    if (skip) return;
    world.build = await buildForTests();
    world.harness = await kind.create();
    world.api = await new HttpRecorder(answerByPath).start();
    world.receiver = await new HttpRecorder(answerByPath).start();
    world.runtime = await apiRuntime(world.harness, world.api.origin, world.receiver.port);
    world.env = processEnv(world.harness, world.api.origin, world.receiver.port);
  });

  afterAll(async () => {
    await world.runtime?.close();
    await world.api?.close();
    await world.receiver?.close();
    await world.harness?.cleanup();
    await world.build?.remove();
  });

  return world;
}
