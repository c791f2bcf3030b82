import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { RequestQueueDashboard, type RequestQueueModuleOptions, type ThroughputPoint } from '../../lib/index.js';
import type { AdapterName } from '../support/nest-app.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import {
  API_KEY,
  ApiKeyGuard,
  createDashboardApp,
  OperatorKeys,
  PASSWORD,
  queue,
  USER,
  type DashboardApp,
} from './support/dashboard-app.js';
import { waitFor } from '../support/wait-for.js';

/** Basic auth, the app's guard as a class (resolved from its providers), or a guard instance. */
type Protection = 'basic' | 'guard' | 'guard instance';

/** Each store once, both adapters, every protection, forRoot and forRootAsync. */
const PLAN: Record<string, { adapter: AdapterName; protection: Protection; async: boolean }> = {
  redis: { adapter: 'express', protection: 'basic', async: false },
  sqlite: { adapter: 'fastify', protection: 'guard', async: true },
  mariadb: { adapter: 'express', protection: 'guard instance', async: false },
  postgres: { adapter: 'fastify', protection: 'basic', async: true },
};

const cases = (await storeMatrix()).map(({ kind, skip }) => ({ kind, skip, ...PLAN[kind.name]! }));
const PATH = '/ops/queue';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe.each(cases)('dashboard over HTTP on $kind.name ($adapter, $protection)', (c) => {
  let harness: StoreHarness;
  let t: DashboardApp;
  const it = c.skip ? test.skip : test;
  /** Headers that get an operator in. */
  const credentials: Record<string, string> =
    c.protection === 'basic' ? { authorization: basic(USER, PASSWORD) } : { 'x-api-key': API_KEY };
  const dashboard: RequestQueueModuleOptions['dashboard'] =
    c.protection === 'basic'
      ? { path: PATH, basicAuth: { username: USER, password: PASSWORD } }
      : { path: PATH, guards: [c.protection === 'guard' ? ApiKeyGuard : new ApiKeyGuard(new OperatorKeys())] };

  beforeAll(async () => {
    if (c.skip) return;
    harness = await c.kind.create();
    t = await createDashboardApp({ adapter: c.adapter, store: harness.options, dashboard, async: c.async });
  });

  afterAll(async () => {
    await t?.close();
    await harness?.cleanup();
  });

  const get = (route: string, headers: Record<string, string> = credentials) =>
    fetch(`${t.url}${PATH}${route}`, { headers });

  /** The page's token and nonce cookie, as a browser holds them after loading it. */
  async function session(headers: Record<string, string> = credentials) {
    const res = await get('', headers);
    expect(res.status).toBe(200);
    const html = await res.text();
    const token = /name="request-queue-csrf" content="([^"]+)"/.exec(html)![1]!;
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    return { token, cookie };
  }

  async function post(route: string, headers: Record<string, string>) {
    const res = await fetch(`${t.url}${PATH}${route}`, { method: 'POST', headers });
    return { status: res.status, body: (await res.json()) as { message?: string; retried?: number } };
  }

  it('turns away a visitor without credentials, and says nothing about the queues', async () => {
    await queue(t.url, '/echo/anonymous');
    const wrong = c.protection === 'basic' ? { authorization: basic(USER, 'wrong') } : { 'x-api-key': 'wrong' };
    for (const headers of [{}, wrong]) {
      for (const route of ['', '/api/overview', '/api/failed', '/api/request?id=x']) {
        const res = await get(route, headers);
        const text = await res.text();
        const expected = c.protection === 'basic' || Object.keys(headers).length === 0 ? 401 : 403;
        expect([route, res.status]).toEqual([route, expected]);
        expect(text).not.toContain('api:request');
        expect(text).not.toContain('<html');
        if (c.protection === 'basic') expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      }
      const res = await fetch(`${t.url}${PATH}/api/queues/retry-all?queue=api:request`, { method: 'POST', headers });
      expect(res.status).toBe(c.protection === 'basic' || Object.keys(headers).length === 0 ? 401 : 403);
    }
  });

  it('serves the page with a token, a nonce cookie on its path, and a strict content security policy', async () => {
    const res = await get('');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'nonce-/);
    expect(res.headers.get('set-cookie')).toMatch(
      new RegExp(`^rq_dashboard_nonce=[^;]+; Path=${PATH}; HttpOnly; SameSite=Strict`),
    );
    const html = await res.text();
    expect(html).toContain('name="request-queue-csrf"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('counts and lists failed jobs as the store does, and never shows a sealed part', async () => {
    const failing = [await queue(t.url, '/status/500', { n: 1 }), await queue(t.url, '/status/500', { n: 2 })];
    await queue(t.url, '/echo/done');
    await waitFor(
      'the two failing requests to fail',
      async () => {
        const failed = await t.store.listFailed();
        return failing.every((id) => failed.some((j) => j.correlationId === id)) ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
    await waitFor(
      'the queue to drain',
      async () => ((await t.store.stats()).every((s) => s.waiting + s.running + s.delayed === 0) ? true : undefined),
      { timeoutMs: 20_000 },
    );
    const overview = (await (await get('/api/overview')).json()) as { queues: unknown[] };
    expect(overview.queues).toEqual(await t.store.stats());
    // The chart's points are the store's, for the last hour: two completed, two failed so far.
    const chart = await waitFor(
      'the throughput to count the work',
      async () => {
        const body = (await (await get('/api/overview')).json()) as { now: number; throughput: ThroughputPoint[] };
        const sum = (k: 'completed' | 'failed') => body.throughput.reduce((n, p) => n + p[k], 0);
        return sum('completed') === 2 && sum('failed') === 2 ? body : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(chart.throughput).toEqual(await t.store.throughput(chart.now - 60 * 60 * 1000));
    const res = await get('/api/failed');
    const text = await res.text();
    const failed = JSON.parse(text) as { total: number; jobs: Record<string, unknown>[] };
    expect(failed.total).toBe(2);
    expect(failed.jobs.map((j) => j.correlationId).sort()).toEqual([...failing].sort());
    expect(failed.jobs[0]).toMatchObject({
      queue: 'api:request',
      stage: 'replay',
      method: 'PUT',
      path: '/status/500',
      attempts: 3,
    });
    expect(Object.keys(failed.jobs[0]!).sort()).toEqual(
      ['attempts', 'correlationId', 'error', 'failedAt', 'id', 'method', 'path', 'queue', 'stage'].sort(),
    );
    for (const secret of ['sealed-header-value-789', 'sealed-body-value-321', 'Bearer'])
      expect(text).not.toContain(secret);
    const request = await get(`/api/request?id=${encodeURIComponent(failing[0]!)}`);
    const requestText = await request.text();
    const view = JSON.parse(requestText) as { timeline: { kind: string; status?: number }[] };
    expect(view).toMatchObject({ correlationId: failing[0], state: 'failed', attempts: 3, queue: 'api:request' });
    expect(view.timeline.map((e) => [e.kind, e.status])).toEqual([
      ['queued', undefined],
      ['attempt', 500],
      ['attempt', 500],
      ['attempt', 500],
    ]);
    for (const secret of ['sealed-header-value-789', 'sealed-body-value-321', 'result', 'fingerprint'])
      expect(requestText).not.toContain(secret);
    expect((await get('/api/request?id=no-such-request')).status).toBe(404);
    expect((await get('/api/request?id=' + encodeURIComponent('has space'))).status).toBe(400);
    expect((await get('/api/failed?queue=api:request')).status).toBe(200);
  });

  it('refuses an action without the page token, with another nonce, or from another origin (403, store unchanged)', async () => {
    const before = await t.store.listFailed();
    expect(before.length).toBeGreaterThan(0);
    const id = encodeURIComponent(before[0]!.id);
    const { token, cookie } = await session();
    const other = await session();
    const attempts: [Record<string, string>, RegExp][] = [
      [{ ...credentials }, /missing x-request-queue-csrf/],
      [{ ...credentials, cookie }, /missing x-request-queue-csrf/],
      [{ ...credentials, 'x-request-queue-csrf': token }, /missing dashboard session cookie/],
      [{ ...credentials, 'x-request-queue-csrf': token, cookie: other.cookie }, /bad x-request-queue-csrf/],
      [{ ...credentials, 'x-request-queue-csrf': 'forged', cookie }, /bad x-request-queue-csrf/],
      [
        { ...credentials, 'x-request-queue-csrf': token, cookie, origin: 'http://evil.example' },
        /cross-origin request refused/,
      ],
      [
        { ...credentials, 'x-request-queue-csrf': token, cookie, 'sec-fetch-site': 'cross-site' },
        /cross-site request refused/,
      ],
    ];
    for (const [headers, message] of attempts) {
      for (const route of [
        `/api/failed/retry?id=${id}`,
        `/api/failed/forget?id=${id}`,
        '/api/queues/retry-all?queue=api:request',
      ]) {
        const { status, body } = await post(route, headers);
        expect([route, status]).toEqual([route, 403]);
        expect(body.message).toMatch(message);
      }
    }
    if (c.protection === 'basic') {
      // A token is bound to the visitor it was given to.
      const { status } = await post(`/api/failed/retry?id=${id}`, {
        authorization: basic(USER, PASSWORD),
        'x-request-queue-csrf': token + 'x',
        cookie,
      });
      expect(status).toBe(403);
    }
    expect((await t.store.listFailed()).map((j) => j.id).sort()).toEqual(before.map((j) => j.id).sort());
  });

  it('retries, forgets and retries all through the actions, and the store changes', async () => {
    const { token, cookie } = await session();
    const ok = { ...credentials, 'x-request-queue-csrf': token, cookie, origin: t.url };
    const [first, second] = await t.store.listFailed();
    expect(second).toBeDefined();
    expect(await post(`/api/failed/forget?id=${encodeURIComponent(first!.id)}`, ok)).toEqual({
      status: 200,
      body: { forgotten: 1 },
    });
    expect(await post(`/api/failed/forget?id=${encodeURIComponent(first!.id)}`, ok)).toMatchObject({ status: 404 });
    expect((await t.store.listFailed()).some((j) => j.id === first!.id)).toBe(false);
    expect(await post(`/api/failed/retry?id=${encodeURIComponent(second!.id)}`, ok)).toEqual({
      status: 200,
      body: { retried: 1 },
    });
    // The retried replay runs again (its timeline shows a second `queued`) and fails again
    // (the route still answers 500); retry-all puts it back once more.
    const requeued = (times: number) => async () => {
      const record = await t.store.readStatus(second!.correlationId);
      const queued = record?.timeline?.filter((e) => e.kind === 'queued').length ?? 0;
      return queued === times && record?.state === 'failed' ? true : undefined;
    };
    await waitFor('the retried job to run and fail again', requeued(2), { timeoutMs: 20_000 });
    expect(await post('/api/queues/retry-all?queue=api:request', ok)).toEqual({ status: 200, body: { retried: 1 } });
    await waitFor('the job retried by retry-all to run and fail again', requeued(3), { timeoutMs: 20_000 });
    expect(await post('/api/queues/retry-all?queue=no-such-queue', ok)).toEqual({ status: 200, body: { retried: 0 } });
    expect(await post('/api/failed/retry?id=' + encodeURIComponent('bad id'), ok)).toMatchObject({ status: 400 });
  });
});

/** A guard class the app does not provide: the dashboard creates it (with DI) itself. */
class OpsHeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return context.getClass() === RequestQueueDashboard && req.headers['x-ops'] === 'yes';
  }
}

const sqlite = (await storeMatrix()).find((m) => m.kind.name === 'sqlite')!;

describe.skipIf(sqlite.skip)('dashboard guard that is not a provider (sqlite, express)', () => {
  let harness: StoreHarness;
  let t: DashboardApp;

  beforeAll(async () => {
    harness = await sqlite.kind.create();
    t = await createDashboardApp({
      adapter: 'express',
      store: harness.options,
      dashboard: { guards: [OpsHeaderGuard] },
      worker: false,
    });
  });

  afterAll(async () => {
    await t?.close();
    await harness?.cleanup();
  });

  test('is created by the dashboard and runs with RequestQueueDashboard as the context class', async () => {
    const denied = await fetch(`${t.url}/request-queue/dashboard/api/overview`);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Forbidden resource' });
    const allowed = await fetch(`${t.url}/request-queue/dashboard/api/overview`, { headers: { 'x-ops': 'yes' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({ queues: [], throughput: [] });
  });
});
