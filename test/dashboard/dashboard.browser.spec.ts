import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CallbackReceiver } from '../support/callback-receiver.js';
import type { AdapterName } from '../support/nest-app.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { createDashboardApp, PASSWORD, queue, USER, type DashboardApp } from './support/dashboard-app.js';
import { waitFor } from '../support/wait-for.js';

/** What these checks read of an element in the page (the DOM's types are not in this project's lib). */
type Attributed = { getAttribute(name: string): string | null };

/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (its own
 * browser download does not work here). One browser for the file; the Redis driver on
 * Express and the database driver (PostgreSQL) on Fastify.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../var/artifacts/', import.meta.url);
const PATH = '/request-queue/dashboard';
const TOKEN = 'dashboard-callback-token-0123456789';
const PLAN: { store: string; adapter: AdapterName }[] = [
  { store: 'redis', adapter: 'express' },
  { store: 'postgres', adapter: 'fastify' },
];

const noBrowser = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} is not installed` : null;
if (noBrowser) console.warn(`[tests] skipping the dashboard's browser test: ${noBrowser}`);
const matrix = await storeMatrix();
const cases = PLAN.map(({ store, adapter }) => {
  const { kind, skip } = matrix.find((m) => m.kind.name === store)!;
  return { kind, adapter, skip: skip ?? noBrowser };
});

let browser: Browser | undefined;

beforeAll(async () => {
  if (cases.every((c) => c.skip)) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** A page on another origin whose form POSTs to `action` as soon as it loads (a forged request). */
async function forgerySite(action: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<form method="POST" action="${action}"></form><script>document.forms[0].submit()</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each(cases)('dashboard in chromium on $kind.name ($adapter)', (c) => {
  let harness: StoreHarness;
  let t: DashboardApp;
  let receiver: CallbackReceiver;
  let context: BrowserContext;
  let page: Page;
  const it = c.skip ? test.skip : test;

  beforeAll(async () => {
    if (c.skip) return;
    harness = await c.kind.create();
    receiver = await new CallbackReceiver(TOKEN).start();
    t = await createDashboardApp({
      adapter: c.adapter,
      store: harness.options,
      dashboard: { basicAuth: { username: USER, password: PASSWORD } },
      extra: { callback: { allowedHosts: [`127.0.0.1:${receiver.port}`], retryDelays: [50] } },
    });
    context = await browser!.newContext({
      httpCredentials: { username: USER, password: PASSWORD },
      viewport: { width: 1280, height: 900 },
    });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await t?.close();
    await receiver?.close();
    await harness?.cleanup();
  });

  /** Loads (or reloads) the page and waits for its first data. */
  async function open(): Promise<void> {
    const res = await page.goto(t.url + PATH);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('#updated[data-loaded]');
  }

  async function refreshed(): Promise<void> {
    const before = await page.getAttribute('#updated', 'data-loaded');
    await page.click('#refresh');
    await page.locator(`#updated:not([data-loaded="${before}"])`).waitFor();
  }

  it('shows the counts, failed jobs and a timeline that match the store after known work', async () => {
    // Known work: three that complete, three that fail every try, one whose callback fails,
    // and three that wait on a queue no worker takes.
    for (let i = 1; i <= 3; i++) await queue(t.url, `/echo/order-${i}`, { qty: i });
    const failing = [];
    for (const key of ['a', 'b', 'c']) failing.push(await queue(t.url, `/flaky/${c.kind.name}-${key}/3`));
    receiver.answers = [500, 500];
    const callbackFails = await queue(t.url, '/echo/with-callback', {
      _callback_url: receiver.url,
      _callback_token: TOKEN,
    });
    for (let i = 1; i <= 3; i++) await queue(t.url, `/reports/monthly-${i}`);
    await waitFor('four failed jobs', async () => ((await t.store.listFailed()).length === 4 ? true : undefined), {
      timeoutMs: 30_000,
    });
    await waitFor(
      'the consumed queues to drain',
      async () => {
        const busy = (await t.store.stats()).some(
          (s) => s.queue !== 'reports' && s.waiting + s.delayed + s.running > 0,
        );
        return busy ? undefined : true;
      },
      { timeoutMs: 20_000 },
    );

    await waitFor(
      'the store to count four completed and three failed replays',
      async () => {
        const counted = await t.store.throughput(Date.now() - 60 * 60 * 1000);
        const completed = counted.reduce((n, p) => n + p.completed, 0);
        const failed = counted.reduce((n, p) => n + p.failed, 0);
        return completed === 4 && failed === 3 ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );

    await open();
    const stats = await t.store.stats();
    expect(stats.find((s) => s.queue === 'reports')).toMatchObject({ waiting: 3 });
    for (const s of stats) {
      for (const state of ['waiting', 'delayed', 'running', 'failed'] as const) {
        const cell = page.locator(`td[data-queue="${s.queue}"][data-state="${state}"]`);
        expect([s.queue, state, await cell.textContent()]).toEqual([s.queue, state, String(s[state])]);
      }
    }
    const failed = await t.store.listFailed();
    expect(await page.locator('tr[data-job-id]').count()).toBe(failed.length);
    expect(await page.textContent('[data-total="failed"]')).toBe('4');
    expect(await page.textContent('[data-total="waiting"]')).toBe('3');
    const callbackRow = page.locator(`tr[data-job-id="${failed.find((j) => j.correlationId === callbackFails)!.id}"]`);
    expect(await callbackRow.locator('td').nth(2).textContent()).toBe('callback');
    const html = await page.content();
    for (const secret of ['sealed-header-value-789', 'sealed-body-value-321', TOKEN])
      expect(html).not.toContain(secret);

    // One request's timeline, by clicking its correlation id.
    await page.click(`a[data-cid="${failing[0]}"]`);
    await page.waitForSelector(`[data-request="${failing[0]}"]`);
    expect(await page.textContent(`[data-request="${failing[0]}"] .badge`)).toBe('failed');
    const steps = page.locator(`#timeline li[data-kind]`);
    expect(await steps.evaluateAll((li: Attributed[]) => li.map((e) => e.getAttribute('data-kind')))).toEqual([
      'queued',
      'attempt',
      'attempt',
      'attempt',
    ]);
    expect(await steps.nth(1).textContent()).toContain('answered 503');
    // And by searching for one.
    await page.fill('#cid', callbackFails);
    await page.click('form.search button');
    await page.waitForSelector(`[data-request="${callbackFails}"]`);
    expect(await page.textContent(`[data-request="${callbackFails}"] .badge`)).toBe('completed');
    expect(await steps.evaluateAll((li: Attributed[]) => li.map((e) => e.getAttribute('data-kind')))).toEqual([
      'queued',
      'attempt',
      'callback',
      'callback',
    ]);

    // The chart draws what the store counted over the last hour.
    const counted = await t.store.throughput(Date.now() - 60 * 60 * 1000);
    const drawn = await page
      .locator('svg[data-chart="throughput"] g[data-minute]')
      .evaluateAll((groups: Attributed[]) =>
        groups.reduce(
          (n, g) => ({
            completed: n.completed + Number(g.getAttribute('data-completed')),
            failed: n.failed + Number(g.getAttribute('data-failed')),
          }),
          { completed: 0, failed: 0 },
        ),
      );
    expect(drawn).toEqual({
      completed: counted.reduce((n, p) => n + p.completed, 0),
      failed: counted.reduce((n, p) => n + p.failed, 0),
    });
    expect(drawn).toEqual({ completed: 4, failed: 3 });

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: new URL(`dashboard-${c.kind.name}-${c.adapter}.png`, ARTIFACTS).pathname,
      fullPage: true,
    });
    if (c.kind.name === 'redis')
      await page.screenshot({ path: new URL('dashboard.png', ARTIFACTS).pathname, fullPage: true });
  });

  it('retries and forgets from the page, and the store changes', async () => {
    await open();
    const failed = await t.store.listFailed();
    const callbackJob = failed.find((j) => j.kind === 'callback')!;
    const [forgotten, retried, ...rest] = failed.filter((j) => j.kind === 'replay');
    // Retry the failed callback: the receiver answers 200 now, so it is delivered and gone.
    await page.click(`tr[data-job-id="${callbackJob.id}"] button[data-action="retry"]`);
    await waitFor(
      'the callback to leave the failed set',
      async () => ((await t.store.listFailed()).some((j) => j.id === callbackJob.id) ? undefined : true),
      { timeoutMs: 20_000 },
    );
    await receiver.waitFor(3);
    await page.waitForSelector(`tr[data-job-id="${callbackJob.id}"]`, { state: 'detached' });
    // Forget one failed replay.
    await page.click(`tr[data-job-id="${forgotten!.id}"] button[data-action="forget"]`);
    await waitFor(
      'the forgotten job to go',
      async () => ((await t.store.listFailed()).some((j) => j.id === forgotten!.id) ? undefined : true),
      { timeoutMs: 20_000 },
    );
    // Retry one: its route answers 200 from its fourth call on, so it completes.
    await page.click(`tr[data-job-id="${retried!.id}"] button[data-action="retry"]`);
    await waitFor(
      'the retried request to complete',
      async () => ((await t.store.readStatus(retried!.correlationId))?.state === 'completed' ? true : undefined),
      { timeoutMs: 20_000 },
    );
    // Retry all of the queue: the last one completes too.
    await refreshed();
    await page.click('button[data-action="retry-all"][data-queue="api:request"]');
    for (const job of rest) {
      await waitFor(
        'the queue to be retried',
        async () => ((await t.store.readStatus(job.correlationId))?.state === 'completed' ? true : undefined),
        { timeoutMs: 20_000 },
      );
    }
    expect(await t.store.listFailed()).toEqual([]);
    await refreshed();
    expect(await page.textContent('#failed')).toContain('No failed jobs.');
  });

  it('gives an unauthenticated visitor nothing, and refuses a cross-site POST without the token', async () => {
    const anonymous = await browser!.newContext();
    try {
      const visitor = await anonymous.newPage();
      // Chromium cancels a basic-auth challenge it has no credentials for: the navigation
      // fails, and what it got was the 401.
      const answered = visitor.waitForResponse((r) => r.url() === t.url + PATH);
      const navigation = await visitor.goto(t.url + PATH).then(
        () => 'loaded',
        (err: Error) => err.message,
      );
      expect(navigation).toMatch(/ERR_INVALID_AUTH_CREDENTIALS/);
      expect((await answered).status()).toBe(401);
      const direct = await anonymous.request.get(t.url + PATH);
      expect(direct.status()).toBe(401);
      expect(await direct.text()).not.toMatch(/api:request|reports|request-queue-csrf|<html/);
      const api = await anonymous.request.get(`${t.url}${PATH}/api/overview`);
      expect(api.status()).toBe(401);
      expect(await api.text()).not.toMatch(/api:request|reports/);
    } finally {
      await anonymous.close();
    }

    // A failed job to aim at, then a page on another origin that POSTs a forget to it.
    const id = await queue(t.url, `/flaky/${c.kind.name}-forged/3`);
    const job = await waitFor(
      'the job to fail',
      async () => (await t.store.listFailed()).find((j) => j.correlationId === id),
      { timeoutMs: 30_000 },
    );
    const site = await forgerySite(`${t.url}${PATH}/api/failed/forget?id=${encodeURIComponent(job.id)}`);
    try {
      const answer = page.waitForResponse((r) => r.url().includes('/api/failed/forget'));
      await page.goto(site.url);
      const res = await answer;
      expect(res.status()).toBe(403);
      expect(await res.text()).toMatch(/cross-origin request refused|x-request-queue-csrf/);
    } finally {
      await site.close();
    }
    expect((await t.store.listFailed()).map((j) => j.id)).toContain(job.id);
  });
});
