import { afterAll, beforeAll, expect } from 'vitest';
import { connectFromEnv, runRequestQueueCli, type RequestQueueRuntime } from '../../../lib/index.js';
import { buildForTests, type TestBuild } from './build.js';
import { enqueue, type EnqueueInput } from './enqueue.js';
import { apiRuntime, CALLBACK_TOKEN, processEnv, type StoreFactory, type StoreFixture } from './stores.js';
import { TargetApp } from './target-app.js';

/** What a CLI spec works with on one store; filled in by the `beforeAll` that `useCliWorld` registers. */
export interface CliWorld {
  /** The compiled `request-queue` bin and sample worker. */
  build: TestBuild;
  fixture: StoreFixture;
  /** The app workers replay requests to (it records what it received). */
  api: TargetApp;
  /** Where callbacks go. */
  receiver: TargetApp;
  /** An API-side runtime over the fixture's store, to queue requests. */
  runtime: RequestQueueRuntime;
  /** The environment a spawned worker or command needs to reach the same store and apps. */
  env: Record<string, string>;
  /** Queues a request for `path`, calling back to the receiver; resolves to its correlation id. */
  queue(path: string, extra?: Partial<EnqueueInput>): Promise<string>;
  /** Runs every ready job of `queues` in this process until they are empty. */
  drain: (queues: string[]) => Promise<void>;
  /** Runs one command line in this process, as the bin would, against the fixture's store. */
  cli: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * Registers the hooks every CLI spec needs inside a `describe` for one store: the compiled
 * bin, a fresh store, the target app, a callback receiver and an API runtime, all closed
 * and removed afterwards. Nothing is opened when the store is unavailable (the specs skip).
 */
export function useCliWorld(factory: StoreFactory): CliWorld {
  const world = {
    queue: (path: string, extra: Partial<EnqueueInput> = {}) =>
      enqueue(world.runtime, {
        path,
        callbackUrl: `${world.receiver.url}/callback`,
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
    if (factory.unavailable()) return;
    world.build = await buildForTests();
    world.fixture = await factory.create();
    world.api = await new TargetApp().start();
    world.receiver = await new TargetApp().start();
    world.runtime = await apiRuntime(world.fixture, world.api.url, world.receiver.port);
    world.env = processEnv(world.fixture, world.api.url, world.receiver.port);
  });

  afterAll(async () => {
    await world.runtime?.close();
    await world.api?.close();
    await world.receiver?.close();
    await world.fixture?.remove();
    await world.build?.remove();
  });

  return world;
}
