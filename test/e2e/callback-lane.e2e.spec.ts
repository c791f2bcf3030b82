import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REQUEST_QUEUE_STORE, type RequestQueueModuleOptions, type RequestQueueStore } from '../../lib/index.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const TOKEN = 'lane-callback-token-0123456789abc';
/** Replays of `PUT /routed/paced/:id` take 100 ms each: this backlog keeps one worker busy 3 s. */
const BACKLOG = 30;

/** One adapter only: the lane is the store's and the worker's, not the HTTP adapter's. */
const cases = await storeMatrix();

/**
 * Issue #16 end to end: requests queued while no worker runs, then one worker (concurrency
 * 1) drains them. A replay's callback goes before the replays still waiting, and a receiver
 * that answers 500 has its delivery retried on schedule without holding anything up.
 */
describe.each(cases)('callback lane on $kind.name', ({ kind, skip }) => {
  let harness: StoreHarness;
  let good: CallbackReceiver;
  let bad: CallbackReceiver;
  let api: TestApp;
  let options: RequestQueueModuleOptions;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    if (skip) return;
    harness = await kind.create();
    good = await new CallbackReceiver(TOKEN).start();
    bad = await new CallbackReceiver(TOKEN).start();
    bad.answers = Array.from({ length: 20 }, () => 500);
    options = {
      ...harness.options,
      ...(harness.options.database ? { database: { ...harness.options.database, sleep: 50 } } : {}),
      callback: { allowedHosts: [`127.0.0.1:${good.port}`, `127.0.0.1:${bad.port}`], retryDelays: [2500, 300] },
    };
    // Accepts requests; no worker of its own, so they wait.
    api = await createTestApp('express', { ...options, worker: { enabled: false } });
    apps.push(api);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await good?.close();
    await bad?.close();
    await harness?.cleanup();
  });

  const it = skip ? test.skip : test;

  async function queue(receiver: CallbackReceiver): Promise<string> {
    const id = randomUUID();
    const res = await fetch(`${api.url}/routed/paced/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-correlation-id': id },
      body: JSON.stringify({ _callback_url: receiver.url, _callback_token: TOKEN }),
    });
    expect(res.status).toBe(202);
    return id;
  }

  async function worker(): Promise<TestApp> {
    const app = await createTestApp('express', { ...options, worker: { concurrency: 1 } });
    apps.push(app);
    return app;
  }

  const replays = (app: TestApp) => app.seen.list.filter((s) => s.url.startsWith('/routed/paced/')).length;

  it("delivers the first request's callback before the backlog is done", async () => {
    const ids: string[] = [];
    for (let i = 0; i < BACKLOG; i++) ids.push(await queue(good));
    const app = await worker();
    await good.waitFor(1, 10_000);
    expect(good.calls[0]!.body.correlationId).toBe(ids[0]);
    expect(replays(app)).toBeLessThanOrEqual(3); // not behind the other replays
    await good.waitFor(BACKLOG, 20_000);
    expect(good.calls.map((c) => c.body.correlationId)).toEqual(ids); // each right after its replay
    apps.splice(apps.indexOf(app), 1);
    await app.close(); // the next test starts a worker of its own
  });

  it("retries a failing receiver's delivery on schedule without blocking other callbacks or replays", async () => {
    good.calls.length = 0;
    const failing = await queue(bad);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await queue(good));
    const app = await worker();
    await good.waitFor(10, 10_000);
    // The whole backlog was replayed and called back while the failed delivery waited for its retry.
    expect(bad.for(failing)).toHaveLength(1);
    expect(replays(app)).toBe(11);
    await bad.waitFor(3, 10_000);
    const store = app.app.get<RequestQueueStore>(REQUEST_QUEUE_STORE);
    let failed = (await store.listFailed()).find((f) => f.correlationId === failing);
    for (let i = 0; !failed && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      failed = (await store.listFailed()).find((f) => f.correlationId === failing);
    }
    expect(failed).toMatchObject({ queue: 'api:request', kind: 'callback', attempts: 3 });
    expect(bad.calls.every((c) => c.verified && c.headers['webhook-id'] === bad.calls[0]!.headers['webhook-id'])).toBe(
      true,
    );
  });
});
