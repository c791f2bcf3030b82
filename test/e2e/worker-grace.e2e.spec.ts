import { Module, type DynamicModule } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RequestQueueLifecycle,
  RequestQueueModule,
  RequestQueueRuntime,
  runRequestQueueWorker,
  type RequestQueueModuleOptions,
} from '../../lib/index.js';
import { GRACE_MARGIN_MS } from '../../lib/core/policies.js';
import { enqueue } from '../cli/support/enqueue.js';
import { answerByPath, HttpRecorder } from '../support/http-recorder.js';
import { waitFor } from '../support/wait-for.js';
import { CapturedLogger } from '../support/captured-logger.js';

const SECRET = 'worker-grace-secret-0123456789abcdef';
const CALLBACK_TOKEN = 'worker-grace-token-0123456789';

/** The app a Nest worker boots: only the request queue, on an in-memory SQLite store. */
function appModule(options: RequestQueueModuleOptions): DynamicModule {
  @Module({})
  class WorkerAppModule {}
  return {
    module: WorkerAppModule,
    imports: [
      RequestQueueModule.forRoot({
        driver: 'database',
        database: { url: 'sqlite::memory:', migrationsRun: true },
        secret: SECRET,
        ...options,
      }),
    ],
  };
}

describe('the grace period of a Nest worker (runRequestQueueWorker)', () => {
  const servers: HttpRecorder[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function server(): Promise<HttpRecorder> {
    const s = await new HttpRecorder(answerByPath).start();
    servers.push(s);
    return s;
  }

  it('covers a callback delivery: timeout 5 s and callback.timeout 15 s give 15 s + the margin', async () => {
    const api = await server();
    const logger = new CapturedLogger();
    const running = await runRequestQueueWorker(
      appModule({ baseUrl: api.origin, timeout: 5_000, callback: { timeout: 15_000 } }),
      { exit: false, context: { logger } },
    );
    const worker = await running.app.get(RequestQueueLifecycle).startWorker(); // the running worker
    expect(worker.options.gracePeriod).toBeGreaterThanOrEqual(15_000 + GRACE_MARGIN_MS);
    await running.app.get(RequestQueueRuntime).store.signalRestart();
    expect(await running.finished).toBe('restart');
    expect(logger.of('log')).toContain('worker stopping (restart): finishing the jobs in hand, up to 20s');
  });

  it('finishes a delivery in flight that outlasts the replay timeout + 5 s before it stops', async () => {
    const api = await server();
    const receiver = await server();
    const logger = new CapturedLogger();
    // A replay may take 1 s, a delivery 9 s; the receiver answers after 7 s, longer than
    // the 6 s (timeout + 5 s) the grace period used to be.
    const running = await runRequestQueueWorker(
      appModule({
        baseUrl: api.origin,
        timeout: 1_000,
        callback: { timeout: 9_000, allowedHosts: [`127.0.0.1:${receiver.port}`] },
      }),
      { exit: false, context: { logger } },
    );
    const runtime = running.app.get(RequestQueueRuntime);
    const id = await enqueue(runtime, {
      path: '/fine/1',
      callbackUrl: `${receiver.origin}/slow/7000/callback`,
      callbackToken: CALLBACK_TOKEN,
    });
    await waitFor('the callback delivery', () => receiver.requests.length === 1, { timeoutMs: 10_000 });
    await runtime.store.signalRestart(); // the worker stops while the delivery is in flight
    expect(await running.finished).toBe('restart');
    const logged = logger.of('log');
    expect(logged).toContain('worker stopping (restart): finishing the jobs in hand, up to 14s');
    // The delivery ended with the receiver's answer, reported by the worker before it stopped.
    expect(logged.filter((l) => l.startsWith(`${id} PATCH /fine/1 (callback) DONE`))).toHaveLength(1);
  }, 30_000);
});
