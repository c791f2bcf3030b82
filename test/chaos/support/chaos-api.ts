import { RequestQueueRuntime, type RequestQueueModuleOptions } from '../../../lib/index.js';
import { createTestApp, type TestApp } from '../../support/test-app.js';

export const CHAOS_SECRET = 'chaos-suite-secret-0123456789';
export const CHAOS_TOKEN = 'chaos-suite-callback-token-0123';

/** Timeout of one attempt (replay or callback delivery), in ms. */
const ATTEMPT_MS = 2500;
/**
 * The lease, in ms: short, so that the jobs of a killed worker run again within seconds;
 * longer than an attempt (the database driver requires it), with room for a loaded machine.
 */
const LEASE_MS = 4000;
/**
 * How long the API waits on a store that is up before it answers 503. The stores' 2 s is
 * right for production, but on a loaded two-core machine a claim can take longer than that;
 * a stopped server refuses connections at once, so an outage still answers 503 at once.
 */
const COMMAND_TIMEOUT_MS = 8000;

/**
 * Module options the API and every worker of a chaos run share: the store's connection, one
 * secret, short attempts and leases (a killed worker's jobs come back in seconds), fast
 * callback retries, and the receiver's port allowed as a callback host.
 */
export function chaosOptions(store: RequestQueueModuleOptions, receiverPort: number): RequestQueueModuleOptions {
  return {
    ...store,
    ...(store.redis && { redis: { ...store.redis, lockDuration: LEASE_MS, commandTimeout: COMMAND_TIMEOUT_MS } }),
    ...(store.database && {
      database: {
        ...store.database,
        retryAfter: LEASE_MS,
        sleep: 100,
        commandTimeout: COMMAND_TIMEOUT_MS,
        migrationsRun: false,
      },
    }),
    secret: CHAOS_SECRET,
    timeout: ATTEMPT_MS,
    tries: 3,
    backoff: { type: 'fixed', delay: 200 },
    callback: {
      timeout: ATTEMPT_MS,
      retryDelays: [200, 500, 1000, 2000, 5000, 10_000],
      allowedHosts: [`127.0.0.1:${receiverPort}`],
    },
  };
}

/** The API of a chaos run: a Nest app (Express) that answers 202 and stores jobs, without a worker of its own. */
export interface ChaosApi {
  app: TestApp;
  url: string;
  /** The API's runtime (its store): failed jobs and counts, as an operator reads them. */
  runtime: RequestQueueRuntime;
  close(): Promise<void>;
}

/** Starts the API on `options` (the database driver's tables are created here, once, before any worker starts). */
export async function startChaosApi(options: RequestQueueModuleOptions): Promise<ChaosApi> {
  const app = await createTestApp('express', {
    ...options,
    ...(options.database && { database: { ...options.database, migrationsRun: true } }),
    worker: { enabled: false },
  });
  return { app, url: app.url, runtime: app.app.get(RequestQueueRuntime), close: () => app.close() };
}

/** Jobs still to run (waiting, delayed or running) on every queue of the store. */
export async function jobsLeft(runtime: RequestQueueRuntime): Promise<number> {
  const stats = await runtime.store.stats();
  return stats.reduce((n, q) => n + q.waiting + q.delayed + q.running, 0);
}
