import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REQUEST_QUEUE_STORE, type RequestQueueStore, type StatusView } from '../../lib/index.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { waitFor } from '../support/wait-for.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/test-app.js';

const TOKEN = 'status-callback-token-0123456789';
/** Short, so the test sees records go; long enough for every poll below to read them first. */
const STATUS_TTL = 4000;

const cases = (await storeMatrix()).flatMap(({ kind, skip }) => ADAPTERS.map((adapter) => ({ kind, skip, adapter })));

/** Consecutive duplicates removed: the states a poller saw, in order. */
function transitions(states: string[]): string[] {
  return states.filter((s, i) => i === 0 || states[i - 1] !== s);
}

describe.each(cases)('status resource on $kind.name ($adapter)', ({ kind, skip, adapter }) => {
  let t: TestApp;
  let idem: TestApp;
  let receiver: CallbackReceiver;
  let harness: StoreHarness;
  let store: RequestQueueStore;

  beforeAll(async () => {
    if (skip) return;
    harness = await kind.create();
    receiver = await new CallbackReceiver(TOKEN).start();
    const options = {
      ...harness.options,
      ...(harness.options.database ? { database: { ...harness.options.database, sleep: 50 } } : {}),
      callback: { allowedHosts: [`127.0.0.1:${receiver.port}`], retryDelays: [100, 100] },
      correlationTtl: STATUS_TTL,
      statusTtl: STATUS_TTL,
    };
    t = await createTestApp(adapter, options);
    // The Idempotency-Key mode, on the same store, without a worker of its own.
    idem = await createTestApp(adapter, { ...options, idempotencyKey: true, worker: { enabled: false } });
    store = t.app.get<RequestQueueStore>(REQUEST_QUEUE_STORE);
  });

  afterAll(async () => {
    await idem?.close();
    await t?.close();
    await receiver?.close();
    await harness?.cleanup();
  });

  const it = skip ? test.skip : test;

  function put(app: TestApp, path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return fetch(app.url + path, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  const withCallback = (extra: Record<string, unknown> = {}) => ({
    ...extra,
    _callback_url: receiver.url,
    _callback_token: TOKEN,
  });

  async function poll(location: string): Promise<{ status: number; retryAfter: string | null; view: StatusView }> {
    const res = await fetch(t.url + location);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), view: (await res.json()) as StatusView };
  }

  /** Polls a status resource until it is final; every answer seen, in order. */
  async function pollToEnd(location: string) {
    const seen: Awaited<ReturnType<typeof poll>>[] = [];
    return waitFor(
      'a final status',
      async () => {
        const answer = await poll(location);
        expect(answer.status).toBe(200);
        seen.push(answer);
        return answer.view.status === 'completed' || answer.view.status === 'failed' ? seen : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 30 },
    );
  }

  it('answers 202 with Location and Retry-After, then walks queued, running, retrying, running, completed', async () => {
    const id = randomUUID();
    const res = await put(t, `/flaky/${id}/1`, withCallback({ name: 'Ada' }), { 'x-correlation-id': id });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^/request-queue/requests/${id}\\?sig=[A-Za-z0-9_-]{32}$`));
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ correlationId: id, status: 'queued', statusUrl: location });

    const seen = await pollToEnd(location);
    const states = transitions(seen.map((s) => s.view.status));
    expect(states[0] === 'queued' ? states.slice(1) : states).toEqual(['running', 'retrying', 'running', 'completed']);
    for (const s of seen) {
      if (s.view.status === 'completed') expect(s.retryAfter).toBeNull();
      else expect(Number(s.retryAfter)).toBeGreaterThanOrEqual(1);
      if (s.view.status === 'retrying') {
        expect(s.view.attempts).toBe(1);
        expect(Date.parse(s.view.nextAttemptAt!)).toBeGreaterThan(Date.parse(s.view.updatedAt));
      } else expect(s.view.nextAttemptAt).toBeUndefined();
    }
    const done = seen.at(-1)!.view;
    expect(done).toMatchObject({ correlationId: id, status: 'completed', attempts: 2 });
    expect(Date.parse(done.queuedAt)).toBeLessThanOrEqual(Date.parse(done.updatedAt));
    await waitFor('the callback', async () => (receiver.for(id).length === 1 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 30,
    });
    expect(done.result).toEqual(receiver.for(id)[0]!.body);
    expect(done.result).toMatchObject({
      status: 'completed',
      attempts: 2,
      response: { status: 200, body: { key: id, call: 2, body: { name: 'Ada' } } },
    });
  });

  it('ends failed with the failure callback as its result; an operator retry puts it back to queued', async () => {
    const id = randomUUID();
    const res = await put(t, `/flaky/${id}/99`, withCallback(), { 'x-correlation-id': id });
    const location = res.headers.get('location')!;
    const seen = await pollToEnd(location);
    expect(transitions(seen.map((s) => s.view.status))).toContain('retrying');
    const failed = seen.at(-1)!.view;
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failed.result).toMatchObject({ status: 'failed', attempts: 3, error: expect.stringMatching(/503/) });
    await waitFor('the failure callback', async () => (receiver.for(id).length === 1 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 30,
    });
    expect(failed.result).toEqual(receiver.for(id)[0]!.body);

    const job = (await store.listFailed()).find((f) => f.correlationId === id && f.kind === 'replay')!;
    expect(await store.retryFailed([job.id])).toBe(1);
    const again = await poll(location);
    expect(['queued', 'running']).toContain(again.view.status);
    expect(again.view.result).toBeUndefined();
    const end = await pollToEnd(location);
    expect(end.at(-1)!.view.status).toBe('failed');
  });

  it('gives a tampered capability, another request’s capability, none, and an unknown id the same 404', async () => {
    const id = randomUUID();
    const other = randomUUID();
    const a = (await put(t, `/echo/1`, withCallback(), { 'x-correlation-id': id })).headers.get('location')!;
    const b = (await put(t, `/echo/2`, withCallback(), { 'x-correlation-id': other })).headers.get('location')!;
    expect((await poll(a)).status).toBe(200);
    const sig = a.split('sig=')[1]!;
    const flipped = `${sig.slice(0, 5)}${sig[5] === 'x' ? 'y' : 'x'}${sig.slice(6)}`;
    const probes = [
      `/request-queue/requests/${id}?sig=${flipped}`,
      `/request-queue/requests/${id}?sig=${b.split('sig=')[1]}`,
      `/request-queue/requests/${id}`,
      `/request-queue/requests/${id}?sig=`,
      `/request-queue/requests/${randomUUID()}?sig=${sig}`,
      `/request-queue/requests/demo-1?sig=${sig}`,
    ];
    const answers = await Promise.all(
      probes.map(async (p) => {
        const res = await fetch(t.url + p);
        return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
      }),
    );
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]!.status).toBe(404);
    expect(JSON.parse(answers[0]!.body)).toEqual({ statusCode: 404, error: 'Not Found', message: 'no such request' });
  });

  it('queues a request sent with Prefer: respond-async and no callback; it is polled to completion, no callback sent', async () => {
    const id = randomUUID();
    const res = await put(t, `/echo/5`, { name: 'async' }, { 'x-correlation-id': id, prefer: 'respond-async, wait=5' });
    expect(res.status).toBe(202);
    expect(res.headers.get('preference-applied')).toBe('respond-async');
    const location = res.headers.get('location')!;
    expect(await res.json()).toEqual({ correlationId: id, status: 'queued', statusUrl: location });
    const done = (await pollToEnd(location)).at(-1)!.view;
    expect(done.result).toMatchObject({
      correlationId: id,
      status: 'completed',
      attempts: 1,
      response: { status: 200, body: { id: '5', method: 'PUT', body: { name: 'async' } } },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.for(id)).toHaveLength(0);

    const sync = await put(t, `/echo/6`, { name: 'sync' });
    expect(sync.status).toBe(200);
    expect(sync.headers.get('location')).toBeNull();
  });

  it('keeps no response body or header in clear, and forgets the request after statusTtl', async () => {
    const id = `at-rest-${randomUUID()}`;
    const marker = `marker-${randomUUID()}`;
    const res = await put(t, `/flaky/${id}/0`, { secret: marker }, { 'x-correlation-id': id, prefer: 'respond-async' });
    const location = res.headers.get('location')!;
    const done = (await pollToEnd(location)).at(-1)!.view;
    expect(done.result!.response!.headers.etag).toBe(`"answer-${id}"`);
    expect(done.result!.response!.body).toMatchObject({ body: { secret: marker } });
    const dump = await harness.dump();
    expect(dump).toContain(id); // the record is there…
    expect(dump).not.toContain(marker); // …but neither the body…
    expect(dump).not.toContain(`answer-${id}`); // …nor the response header in clear

    await waitFor(
      'the status to expire',
      async () => ((await fetch(t.url + location)).status === 404 ? true : undefined),
      { timeoutMs: STATUS_TTL + 5000, intervalMs: 30 },
    );
    expect(await store.readStatus(id)).toBeNull();
    // Gone from the store itself, not only hidden: no key or row but the id's claim (which
    // expires on its own schedule: a key TTL on Redis, a prune every minute on SQL) names it.
    const leftovers = async () =>
      (await harness.dump())
        .split('\n')
        .filter((line) => line.includes(id) && !/^request_queue_claims |:request-queue:cid:/.test(line));
    await waitFor('the store to remove the record', async () => ((await leftovers()).length === 0 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 30,
    });
  });

  describe('Idempotency-Key mode', () => {
    it('answers a retry of the same request with the first 202 and Location, and runs it once', async () => {
      const key = randomUUID();
      const first = await put(idem, `/echo/${key}`, withCallback({ n: 1 }), { 'idempotency-key': key });
      expect(first.status).toBe(202);
      const body = await first.json();
      const again = await put(idem, `/echo/${key}`, withCallback({ n: 1 }), { 'idempotency-key': key });
      expect(again.status).toBe(202);
      expect(again.headers.get('location')).toBe(first.headers.get('location'));
      expect(await again.json()).toEqual(body);
      await waitFor('the callback', async () => (receiver.for(key).length === 1 ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 30,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.seen.list.filter((s) => s.url === `/echo/${key}`)).toHaveLength(1);
    });

    it('answers 422 naming the mismatch for the same key with another request, and 409 for a key used synchronously', async () => {
      const key = randomUUID();
      expect((await put(idem, `/echo/${key}`, withCallback({ n: 1 }), { 'idempotency-key': key })).status).toBe(202);
      for (const [path, body] of [
        [`/echo/${key}`, withCallback({ n: 2 })],
        [`/echo/other-${key}`, withCallback({ n: 1 })],
      ] as const) {
        const res = await put(idem, path, body, { 'idempotency-key': key });
        expect(res.status).toBe(422);
        expect(await res.json()).toMatchObject({
          field: 'Idempotency-Key',
          message: expect.stringMatching(/already used for a different request/),
        });
      }
      const syncKey = randomUUID();
      expect((await put(idem, `/echo/${syncKey}`, { n: 1 }, { 'idempotency-key': syncKey })).status).toBe(200);
      const reused = await put(
        idem,
        `/echo/${syncKey}`,
        { n: 1 },
        { 'idempotency-key': syncKey, prefer: 'respond-async' },
      );
      expect(reused.status).toBe(409);
    });

    it('gives 20 concurrent retries with one key one job: the same 202 or 409, never two jobs', async () => {
      const key = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          put(idem, `/echo/${key}`, { n: 20 }, { 'idempotency-key': key, prefer: 'respond-async' }).then(async (r) => ({
            status: r.status,
            location: r.headers.get('location'),
          })),
        ),
      );
      const accepted = answers.filter((a) => a.status === 202);
      expect(accepted.length).toBeGreaterThanOrEqual(1);
      expect(answers.every((a) => a.status === 202 || a.status === 409)).toBe(true);
      expect(new Set(accepted.map((a) => a.location)).size).toBe(1);
      const done = (await pollToEnd(accepted[0]!.location!)).at(-1)!.view;
      expect(done.status).toBe('completed');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.seen.list.filter((s) => s.url === `/echo/${key}`)).toHaveLength(1);
    });
  });
});
