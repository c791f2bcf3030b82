import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RequestQueueModuleOptions } from '../../lib/index.js';
import { waitFor } from '../support/wait-for.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/test-app.js';

const TOKEN = 'e2e-callback-token-0123456789';

/** `correlationHeader` and `claimSynchronousRequests` over real HTTP, on Redis and SQLite. */
const cases = (await storeMatrix())
  .filter(({ kind }) => kind.name === 'redis' || kind.name === 'sqlite')
  .flatMap(({ kind, skip }) => ADAPTERS.map((adapter) => ({ kind, skip, adapter })));

describe.each(cases)('correlation id options on $kind.name ($adapter)', ({ kind, skip, adapter }) => {
  let harness: StoreHarness;
  let receiver: CallbackReceiver;
  const it = skip ? test.skip : test;

  beforeAll(async () => {
    if (skip) return;
    harness = await kind.create();
    receiver = await new CallbackReceiver(TOKEN).start();
  });

  afterAll(async () => {
    await receiver?.close();
    await harness?.cleanup();
  });

  async function app(options: RequestQueueModuleOptions): Promise<TestApp> {
    const store = harness.options;
    return createTestApp(adapter, {
      ...store,
      ...(store.database ? { database: { ...store.database, sleep: 50 } } : {}),
      callback: { allowedHosts: [`127.0.0.1:${receiver.port}`] },
      ...options,
    });
  }

  const put = (t: TestApp, path: string, headers: Record<string, string>, body: unknown) =>
    fetch(t.url + path, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const queued = () => ({ _callback_url: receiver.url, _callback_token: TOKEN });

  describe('correlationHeader: X-Request-Queue-ID', () => {
    let t: TestApp;
    beforeAll(async () => {
      if (!skip) t = await app({ correlationHeader: 'X-Request-Queue-ID' });
    });
    afterAll(() => t?.close());

    it('reads the id from it, answers in it, replays with it, and the callback arrives', async () => {
      const id = randomUUID();
      const res = await put(t, '/echo/21', { 'x-request-queue-id': id }, { ...queued(), name: 'Ada' });
      expect(res.status).toBe(202);
      expect(res.headers.get('x-request-queue-id')).toBe(id);
      expect(res.headers.get('x-correlation-id')).toBeNull();
      expect(await res.json()).toEqual({ correlationId: id, status: 'queued', statusUrl: res.headers.get('location') });

      await waitFor('the callback', () => receiver.for(id).length > 0);
      const [cb] = receiver.for(id);
      expect(cb!.verified).toBe(true);
      // The callback keeps X-Correlation-ID, whatever the request header is.
      expect(cb!.headers['x-correlation-id']).toBe(id);
      expect(cb!.body).toMatchObject({ correlationId: id, status: 'completed', attempts: 1 });
      expect(cb!.body.response).toMatchObject({ status: 200, body: { id: '21', body: { name: 'Ada' } } });
      // The replay carried the id in the configured header (so its marker verified: one run, no 409).
      const replays = t.seen.list.filter((s) => s.headers['x-request-queue-id'] === id);
      expect(replays).toHaveLength(1);
      expect(replays[0]!.headers['x-request-queue-replay']).toBeDefined();
    });

    it('answers 409 in it on reuse, and 400 naming it when malformed', async () => {
      const id = randomUUID();
      expect((await put(t, '/echo/22', { 'x-request-queue-id': id }, {})).status).toBe(200);
      const again = await put(t, '/echo/22', { 'x-request-queue-id': id }, queued());
      expect(again.status).toBe(409);
      expect(again.headers.get('x-request-queue-id')).toBe(id);
      const bad = await put(t, '/echo/22', { 'x-request-queue-id': 'has space' }, {});
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toBe(
        'X-Request-Queue-ID may hold only visible ASCII characters',
      );
    });

    it('leaves a gateway X-Correlation-ID alone: the same one on two synchronous calls is no conflict', async () => {
      const traced = { 'x-correlation-id': 'trace-from-the-gateway' };
      const first = await put(t, '/echo/23', traced, { n: 1 });
      const second = await put(t, '/echo/23', traced, { n: 2 });
      expect([first.status, second.status]).toEqual([200, 200]);
      const ids = [first, second].map((r) => r.headers.get('x-request-queue-id'));
      expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(ids[1]).not.toBe(ids[0]);
    });
  });

  describe('claimSynchronousRequests: false', () => {
    let t: TestApp;
    beforeAll(async () => {
      if (!skip) t = await app({ claimSynchronousRequests: false });
    });
    afterAll(() => t?.close());

    it('lets the same id through twice synchronously, while a queued reuse still gets 409', async () => {
      const id = randomUUID();
      for (const n of [1, 2]) {
        const res = await put(t, '/echo/31', { 'x-correlation-id': id }, { n });
        expect(res.status).toBe(200);
        expect(res.headers.get('x-correlation-id')).toBe(id);
        expect(await res.json()).toEqual({ id: '31', method: 'PUT', body: { n } });
      }
      expect(await harness.dump()).not.toContain(id); // nothing claimed

      expect((await put(t, '/echo/31', { 'x-correlation-id': id }, queued())).status).toBe(202);
      const reuse = await put(t, '/echo/31', { 'x-correlation-id': id }, queued());
      expect(reuse.status).toBe(409);
      expect(reuse.headers.get('x-correlation-id')).toBe(id);
      expect(await harness.dump()).toContain(id); // the queued request claimed it
      await waitFor('the callback', () => receiver.for(id).length > 0);
      expect(receiver.for(id)[0]!.body).toMatchObject({ correlationId: id, status: 'completed' });
    });
  });
});
