import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { REQUEST_QUEUE_STORE, type RequestQueueStore } from '../../lib/index.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

const TOKEN = 'e2e-callback-token-0123456789';

const cases = (await storeMatrix()).flatMap(({ kind, skip }) => ADAPTERS.map((adapter) => ({ kind, skip, adapter })));

describe.each(cases)('request queue end to end on $kind.name ($adapter)', ({ kind, skip, adapter }) => {
  let t: TestApp;
  let receiver: CallbackReceiver;
  let store: RequestQueueStore;
  let harness: StoreHarness;

  beforeAll(async () => {
    if (skip) return;
    harness = await kind.create();
    receiver = await new CallbackReceiver(TOKEN).start();
    const options = harness.options;
    t = await createTestApp(adapter, {
      ...options,
      // The SQL stores' idle workers poll; keep retries (delayed jobs) quick to pick up.
      ...(options.database ? { database: { ...options.database, sleep: 50 } } : {}),
      callback: { allowedHosts: [`127.0.0.1:${receiver.port}`], retryDelays: [100, 100] },
    });
    store = t.app.get<RequestQueueStore>(REQUEST_QUEUE_STORE);
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    await harness?.cleanup();
  });

  const it = skip ? test.skip : test;

  function send(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string; json?: unknown } = {},
  ) {
    const headers = { ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    return fetch(t.url + path, { method, headers, body });
  }

  const withCallback = (extra: Record<string, unknown> = {}) => ({
    ...extra,
    _callback_url: receiver.url,
    _callback_token: TOKEN,
  });

  it('answers 202 at once, replays, and POSTs a callback verified with standardwebhooks', async () => {
    const id = randomUUID();
    const res = await send('PUT', '/echo/7', {
      headers: { 'x-correlation-id': id },
      json: withCallback({ name: 'Ada' }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-correlation-id')).toBe(id);
    expect(await res.json()).toEqual({ correlationId: id, status: 'queued', statusUrl: res.headers.get('location') });

    await waitFor('receiver.for(id).length === 1', () => receiver.for(id).length === 1, { intervalMs: 25 });
    const [cb] = receiver.for(id);
    expect(cb!.verified).toBe(true);
    expect(cb!.headers['x-correlation-id']).toBe(id);
    expect(cb!.headers['content-type']).toBe('application/json');
    expect(cb!.headers['webhook-id']).toMatch(/^msg_/);
    expect(cb!.headers['webhook-signature']).toMatch(/^v1,/);
    expect(cb!.body).toMatchObject({
      correlationId: id,
      status: 'completed',
      attempts: 1,
      response: { status: 200, body: { id: '7', method: 'PUT', body: { name: 'Ada' } } },
    });
    expect(cb!.body.response!.headers['content-type']).toContain('application/json');
    expect(cb!.body.error).toBeUndefined();
  });

  it('generates a correlation id when none is sent and echoes it on every answer', async () => {
    const res = await send('PATCH', '/echo/1', { json: { name: 'sync' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const get = await send('GET', '/echo/1');
    expect(get.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('handles a request without callback parameters synchronously', async () => {
    const before = t.seen.list.length;
    const res = await send('PUT', '/echo/3', { json: { name: 'now' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: '3', method: 'PUT', body: { name: 'now' } });
    expect(t.seen.list.length).toBe(before + 1);
  });

  it('replays JSON bodies, query strings and Authorization intact, without the callback parameters', async () => {
    const id = randomUUID();
    const res = await send(
      'PUT',
      `/echo/9?a=1&b=%20two+x&_callback_url=${encodeURIComponent(receiver.url)}&_callback_token=${TOKEN}`,
      {
        headers: {
          'x-correlation-id': id,
          authorization: 'Bearer s3cr3t',
          'accept-language': 'zh-TW',
          'x-tenant': 'acme',
          cookie: 'session=1',
        },
        json: { name: 'Ada', nested: { list: [1, 2, { x: null }] }, unicode: 'é漢' },
      },
    );
    expect(res.status).toBe(202);
    await waitFor('receiver.for(id).length === 1', () => receiver.for(id).length === 1, { intervalMs: 25 });
    const replay = t.seen.list.find((s) => s.headers['x-correlation-id'] === id)!;
    expect(replay.url).toBe('/echo/9?a=1&b=%20two+x');
    expect(replay.headers.authorization).toBe('Bearer s3cr3t');
    expect(replay.headers['accept-language']).toBe('zh-TW');
    expect(replay.headers['x-tenant']).toBe('acme');
    expect(replay.headers.cookie).toBeUndefined();
    expect(replay.body).toEqual({ name: 'Ada', nested: { list: [1, 2, { x: null }] }, unicode: 'é漢' });
  });

  it('replays a form body intact, without the callback fields', async () => {
    const id = randomUUID();
    const form = `name=Ada+Lovelace&email=ada%40example.com&_callback_url=${encodeURIComponent(receiver.url)}&_callback_token=${TOKEN}&tags=a&tags=b`;
    const res = await send('PATCH', '/echo/4', {
      headers: { 'x-correlation-id': id, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(res.status).toBe(202);
    await waitFor('receiver.for(id).length === 1', () => receiver.for(id).length === 1, { intervalMs: 25 });
    const replay = t.seen.list.find((s) => s.headers['x-correlation-id'] === id)!;
    expect(replay.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(replay.raw).toBe('name=Ada+Lovelace&email=ada%40example.com&tags=a&tags=b');
    expect(replay.body).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
  });

  it('replays body fields named like HTTP-client options as plain data', async () => {
    const id = randomUUID();
    const data = {
      headers: { 'x-evil': '1', host: 'evil.example' },
      proxy: 'http://10.0.0.1:8080',
      json: true,
      method: 'GET',
      url: 'http://evil.example/',
      dispatcher: {},
    };
    const res = await send('PUT', '/echo/5', { headers: { 'x-correlation-id': id }, json: withCallback(data) });
    expect(res.status).toBe(202);
    const [cb] = await callbackFor(id);
    expect(cb.body.response!.body).toEqual({ id: '5', method: 'PUT', body: data });
    const replay = t.seen.list.find((s) => s.headers['x-correlation-id'] === id)!;
    expect(replay.method).toBe('PUT');
    expect(replay.headers['x-evil']).toBeUndefined();
  });

  it('answers 409 for a reused id, queued or synchronous', async () => {
    const id = randomUUID();
    expect((await send('PUT', '/echo/1', { headers: { 'x-correlation-id': id }, json: withCallback() })).status).toBe(
      202,
    );
    const again = await send('PUT', '/echo/1', { headers: { 'x-correlation-id': id }, json: withCallback() });
    expect(again.status).toBe(409);
    expect(again.headers.get('x-correlation-id')).toBe(id);
    expect(await again.json()).toMatchObject({ correlationId: id, message: expect.stringContaining('already used') });
    expect((await send('PUT', '/echo/1', { headers: { 'x-correlation-id': id }, json: {} })).status).toBe(409);

    const syncId = randomUUID();
    expect((await send('DELETE', '/echo/1', { headers: { 'x-correlation-id': syncId } })).status).toBe(200);
    expect((await send('DELETE', '/echo/1', { headers: { 'x-correlation-id': syncId } })).status).toBe(409);
    expect(
      (await send('DELETE', '/echo/1', { headers: { 'x-correlation-id': syncId }, json: withCallback() })).status,
    ).toBe(409);
    await callbackFor(id);
  });

  it('lets exactly one of 20 concurrent requests with one new id win', async () => {
    const id = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        send('PUT', '/echo/20', { headers: { 'x-correlation-id': id }, json: withCallback({ n: 1 }) }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    await callbackFor(id);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.for(id)).toHaveLength(1);
  });

  it('answers 400 for a malformed correlation id and stores nothing', async () => {
    for (const bad of ['x'.repeat(129), 'has space', 'tab\there']) {
      const res = await send('PUT', '/echo/1', { headers: { 'x-correlation-id': bad }, json: withCallback() });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/X-Correlation-ID/);
    }
  });

  it('answers 422 naming the field for bad callback parameters, and does not consume the id', async () => {
    const id = randomUUID();
    const cases: [Record<string, unknown>, string][] = [
      [{ _callback_url: 'http://10.0.0.1/cb', _callback_token: TOKEN }, '_callback_url'],
      [{ _callback_url: 'ftp://example.com/', _callback_token: TOKEN }, '_callback_url'],
      [{ _callback_url: receiver.url, _callback_token: 'short' }, '_callback_token'],
      [{ _callback_url: receiver.url }, '_callback_token'],
    ];
    for (const [body, field] of cases) {
      const res = await send('PUT', '/echo/1', { headers: { 'x-correlation-id': id }, json: body });
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ field, message: expect.stringContaining(field) });
    }
    expect((await send('PUT', '/echo/1', { headers: { 'x-correlation-id': id }, json: withCallback() })).status).toBe(
      202,
    );
    await callbackFor(id);
  });

  it('passes methods that are not queued through untouched, callback parameters or not', async () => {
    const before = t.seen.list.length;
    const res = await send('POST', '/echo/1', { json: withCallback() });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: '1', created: true });
    expect(t.seen.list.length).toBe(before + 1);
  });

  it('treats a 404 answer as final: one attempt, a completed callback', async () => {
    const id = randomUUID();
    const before = t.seen.list.length;
    expect(
      (await send('PUT', '/status/404', { headers: { 'x-correlation-id': id }, json: withCallback() })).status,
    ).toBe(202);
    const [cb] = await callbackFor(id);
    expect(cb.body).toMatchObject({ status: 'completed', attempts: 1, response: { status: 404 } });
    await new Promise((r) => setTimeout(r, 300));
    expect(t.seen.list.length - before).toBe(1);
  });

  it('retries a 500 answer, then fails: a failure callback and a failed job', async () => {
    const id = randomUUID();
    expect(
      (await send('PUT', '/status/500', { headers: { 'x-correlation-id': id }, json: withCallback() })).status,
    ).toBe(202);
    const [cb] = await callbackFor(id);
    expect(cb.verified).toBe(true);
    expect(cb.body).toMatchObject({ correlationId: id, status: 'failed', attempts: 3, response: { status: 500 } });
    expect(cb.body.error).toContain('500');
    expect(t.seen.list.filter((s) => s.headers['x-correlation-id'] === id)).toHaveLength(3);
    const failed = (await store.listFailed()).find((f) => f.correlationId === id);
    expect(failed).toMatchObject({
      kind: 'replay',
      method: 'PUT',
      path: '/status/500',
      error: expect.stringContaining('500'),
    });
  });

  it('re-sends the callback when the receiver answers 500, keeping the webhook-id, never replaying again', async () => {
    const id = randomUUID();
    receiver.answers.push(500);
    expect((await send('PUT', '/echo/11', { headers: { 'x-correlation-id': id }, json: withCallback() })).status).toBe(
      202,
    );
    await waitFor('receiver.for(id).length === 2', () => receiver.for(id).length === 2, { intervalMs: 25 });
    const [first, second] = receiver.for(id);
    expect(first!.answered).toBe(500);
    expect(second!.answered).toBe(200);
    expect(second!.verified).toBe(true);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(t.seen.list.filter((s) => s.headers['x-correlation-id'] === id)).toHaveLength(1);
  });

  it('puts a delivery that runs out of retries in the failed set as a callback-stage failure; 410 stops at once', async () => {
    const id = randomUUID();
    receiver.answers.push(500, 500, 500);
    expect((await send('PUT', '/echo/12', { headers: { 'x-correlation-id': id }, json: withCallback() })).status).toBe(
      202,
    );
    await waitFor(
      '(await store.listFailed()).some((f) => f.correlationId === id)',
      async () => (await store.listFailed()).some((f) => f.correlationId === id),
      { intervalMs: 25 },
    );
    expect(receiver.for(id)).toHaveLength(3);
    const failed = (await store.listFailed()).find((f) => f.correlationId === id)!;
    expect(failed).toMatchObject({ kind: 'callback', error: expect.stringContaining('500') });

    const gone = randomUUID();
    receiver.answers.push(410);
    expect(
      (await send('PUT', '/echo/13', { headers: { 'x-correlation-id': gone }, json: withCallback() })).status,
    ).toBe(202);
    await waitFor(
      '(await store.listFailed()).some((f) => f.correlationId === gone)',
      async () => (await store.listFailed()).some((f) => f.correlationId === gone),
      { intervalMs: 25 },
    );
    expect(receiver.for(gone)).toHaveLength(1);
    expect((await store.listFailed()).find((f) => f.correlationId === gone)!.error).toContain('410');
  });

  it('honours per-route options: its own queue and a delay before the first replay', async () => {
    const id = randomUUID();
    const sent = Date.now();
    expect(
      (await send('PUT', '/routed/delayed/1', { headers: { 'x-correlation-id': id }, json: withCallback() })).status,
    ).toBe(202);
    const [cb] = await callbackFor(id);
    const replayedAt = (cb.body.response!.body as { at: number }).at;
    expect(replayedAt - sent).toBeGreaterThanOrEqual(380);
    expect(cb.body).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('honours a per-route replay timeout: a slow handler times out, is retried, then fails', async () => {
    const id = randomUUID();
    expect(
      (await send('PUT', '/routed/slow/1', { headers: { 'x-correlation-id': id }, json: withCallback() })).status,
    ).toBe(202);
    const [cb] = await callbackFor(id);
    expect(cb.body).toMatchObject({ status: 'failed', attempts: 2, response: null });
    expect(cb.body.error).toMatch(/timed out|abort/i);
  });

  it('gives a forged replay marker nothing: still queued, still 409 on reuse', async () => {
    const id = randomUUID();
    const before = t.seen.list.length;
    const forged = {
      'x-correlation-id': id,
      'x-request-queue-replay': `${Date.now()}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
    };
    const res = await send('PUT', '/echo/14', { headers: forged, json: withCallback() });
    expect(res.status).toBe(202);
    expect(t.seen.list.length).toBe(before);
    expect((await send('PUT', '/echo/14', { headers: forged, json: {} })).status).toBe(409);
    await callbackFor(id);
    const replay = t.seen.list.find((s) => s.headers['x-correlation-id'] === id)!;
    expect(replay.headers['x-request-queue-replay']).not.toBe(forged['x-request-queue-replay']);
  });

  async function callbackFor(id: string) {
    await waitFor(`the callback for ${id}`, () => receiver.for(id).length >= 1, { intervalMs: 25 });
    return receiver.for(id) as [ReturnType<CallbackReceiver['for']>[number], ...ReturnType<CallbackReceiver['for']>];
  }
});

describe.each(ADAPTERS)('when Redis is unreachable (%s)', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(adapter, {
      driver: 'redis',
      redis: { url: 'redis://127.0.0.1:1', commandTimeout: 500 },
      worker: { enabled: false },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 within a second or two, never 202, queued or synchronous', async () => {
    for (const body of [{ _callback_url: 'https://example.com/cb', _callback_token: TOKEN }, { name: 'sync' }]) {
      const started = Date.now();
      const res = await fetch(`${t.url}/echo/1`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(((await res.json()) as { message: string }).message).toMatch(/unavailable/);
    }
    expect(t.seen.list).toHaveLength(0);
  });
});
