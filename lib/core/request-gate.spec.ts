import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallbackReceiver } from '../../test/support/callback-receiver.js';
import {
  jsonRequest,
  openUnitKit,
  ReplayTarget,
  runNext,
  UNIT_TOKEN,
  type UnitKit,
} from '../../test/support/unit-store.js';
import { RequestQueueEvent } from './events.js';
import type { ReservedJob } from './job.js';
import type { IncomingRequest } from './request-capture.js';
import { prefersRespondAsync, type GateDecision } from './request-gate.js';

const QUEUE = 'api:request';

let kit: UnitKit;
let receiver: CallbackReceiver;
let target: ReplayTarget;

beforeEach(async () => {
  kit = await openUnitKit();
  receiver = await new CallbackReceiver(UNIT_TOKEN).start();
  target = await new ReplayTarget().start();
});

afterEach(async () => {
  await kit.close();
  await receiver.close();
  await target.close();
});

const callback = () => ({ url: receiver.url, token: UNIT_TOKEN });

/** Nothing was stored for `id`: no job, no status record, and the id is still free to claim. */
async function expectNothingStored(id: string): Promise<void> {
  expect(await kit.store.listJobs({ limit: 10 })).toEqual([]);
  expect(await kit.store.readStatus(id)).toBeNull();
  expect(await kit.store.claim(id, 60_000)).toBe(true);
}

describe('RequestGate: what it accepts', () => {
  it('stores a request with callback parameters and answers queued, with its status URL and a queued event', async () => {
    const { req, query } = jsonRequest('gate-1', { callback: callback() });
    const decision = await kit.gate().admit(req, query, {});
    expect(decision).toMatchObject({ type: 'queued', correlationId: 'gate-1', respondAsync: false, repeated: false });
    if (decision.type !== 'queued') return;
    expect(decision.statusUrl).toBe(kit.links.url('gate-1'));

    // One waiting job, its plain fields without the callback parameters.
    const jobs = await kit.store.listJobs({ limit: 10 });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      id: decision.jobId,
      queue: QUEUE,
      state: 'waiting',
      kind: 'replay',
      correlationId: 'gate-1',
      method: 'PUT',
      path: '/user/1',
    });
    // Its status record, readable through the capability the 202 hands out.
    expect(await kit.store.readStatus('gate-1')).toMatchObject({
      state: 'queued',
      jobId: decision.jobId,
      queue: QUEUE,
    });
    const sig = new URL(decision.statusUrl, 'http://x').searchParams.get('sig');
    expect(await kit.status.read('gate-1', sig)).toMatchObject({ found: true, view: { status: 'queued' } });

    expect(kit.events).toEqual([
      [
        RequestQueueEvent.Queued,
        {
          jobId: decision.jobId,
          queue: QUEUE,
          correlationId: 'gate-1',
          method: 'PUT',
          path: '/user/1',
          kind: 'replay',
        },
      ],
    ]);
  });

  it('seals the request: nothing secret in clear, and the processor opens it back to the same request', async () => {
    const { req, query } = jsonRequest('gate-sealed', {
      method: 'PATCH',
      path: '/user/7?keep=1',
      body: { name: 'Grace', secretField: 'sensitive-body-value' },
      headers: { 'x-tenant': 'tenant-42', authorization: 'Bearer sensitive-bearer' },
      callback: callback(),
    });
    expect((await kit.gate().admit(req, query, {})).type).toBe('queued');

    const ran = await runNext(kit.store, [QUEUE], (job) => {
      for (const secret of ['sensitive-body-value', 'sensitive-bearer', UNIT_TOKEN, 'tenant-42']) {
        expect(JSON.stringify(job.payload)).not.toContain(secret);
      }
      return kit.processor(target.url).process(job);
    });
    expect(ran.result.type).toBe('complete');

    // What the processor opened and replayed is the request as it came, callback parameters removed.
    expect(target.requests).toHaveLength(1);
    const replayed = target.requests[0]!;
    expect(replayed.method).toBe('PATCH');
    expect(replayed.url).toBe('/user/7?keep=1');
    expect(replayed.raw.equals(req.rawBody!)).toBe(true);
    expect(replayed.headers).toMatchObject({
      'content-type': 'application/json',
      'x-tenant': 'tenant-42',
      authorization: 'Bearer sensitive-bearer',
      'x-correlation-id': 'gate-sealed',
    });

    // The sealed callback token signs the callback: the receiver verifies it with the client's token.
    await runNext(kit.store, [`${QUEUE}#callbacks`], (job) => kit.processor(target.url).process(job));
    const [delivered] = await receiver.waitFor(1);
    expect(delivered!.verified).toBe(true);
    expect(delivered!.body).toMatchObject({ correlationId: 'gate-sealed', status: 'completed' });
  });

  it("lets the worker's own replay through (signed marker) without storing it again", async () => {
    const { req, query } = jsonRequest('gate-replay', { callback: callback() });
    await kit.gate().admit(req, query, {});
    await runNext(kit.store, [QUEUE], (job) => kit.processor(target.url).process(job));
    const replayed = target.requests[0]!;
    const replay: IncomingRequest = {
      method: replayed.method,
      url: replayed.url,
      headers: replayed.headers,
      body: JSON.parse(replayed.body) as unknown,
      rawBody: replayed.raw,
    };
    expect(await kit.gate().admit(replay, {}, {})).toEqual({ type: 'pass', correlationId: 'gate-replay' });
    // The same request with a forged marker is not the worker's: its id is taken (409).
    const forged = { ...replay, headers: { ...replay.headers, 'x-request-queue-replay': 'forged' } };
    expect(await kit.gate().admit(forged, {}, {})).toMatchObject({ type: 'reject', reason: 'conflict' });
  });

  it('passes a method that is never queued without touching the store', async () => {
    await kit.store.close(); // a store call would fail
    const { req, query } = jsonRequest('gate-get', { method: 'GET', callback: callback() });
    expect(await kit.gate().admit(req, query, {})).toEqual({ type: 'pass', correlationId: 'gate-get' });
  });

  it('claims the id of a request without callback parameters and runs it synchronously; a reuse is a conflict', async () => {
    const { req, query } = jsonRequest('gate-sync');
    expect(await kit.gate().admit(req, query, {})).toEqual({ type: 'sync', correlationId: 'gate-sync' });
    expect(await kit.gate().admit(req, query, {})).toEqual({
      type: 'reject',
      reason: 'conflict',
      correlationId: 'gate-sync',
      message: "correlation id 'gate-sync' was already used",
    });
    expect(await kit.store.listJobs({ limit: 10 })).toEqual([]);
  });

  it('with claimSynchronousRequests off, runs synchronous requests without the store, again and again', async () => {
    await kit.store.close();
    const gate = kit.gate({ claimSynchronousRequests: false });
    const { req, query } = jsonRequest('gate-unclaimed');
    expect(await gate.admit(req, query, {})).toEqual({ type: 'sync', correlationId: 'gate-unclaimed' });
    expect(await gate.admit(req, query, {})).toEqual({ type: 'sync', correlationId: 'gate-unclaimed' });
  });

  it('queues a request without a callback under Prefer: respond-async; its outcome has no callback job', async () => {
    const { req, query } = jsonRequest('gate-async', { headers: { prefer: 'respond-async, wait=10' } });
    const decision = await kit.gate().admit(req, query, {});
    expect(decision).toMatchObject({ type: 'queued', respondAsync: true });
    const ran = await runNext(kit.store, [QUEUE], (job) => {
      expect(job.payload.callbackUrl).toBe('');
      return kit.processor(target.url).process(job);
    });
    expect(ran.result).toMatchObject({ type: 'complete', next: undefined });
    expect(await kit.store.readStatus('gate-async')).toMatchObject({ state: 'completed' });
  });

  it('stores the module’s replay settings, and a route’s over them: queue, tries, timeout, backoff', async () => {
    const plain = jsonRequest('gate-defaults', { callback: callback() });
    await kit.gate().admit(plain.req, plain.query, {});
    const { job: byModule } = await runNext(kit.store, [QUEUE], async () => ({ type: 'complete' }));
    expect(byModule.payload).toMatchObject({
      tries: kit.options.tries,
      timeout: kit.options.timeout,
      backoff: kit.options.backoff,
    });

    const routed = jsonRequest('gate-route', { callback: callback() });
    const route = { queue: 'slow', tries: 7, timeout: 1234, backoff: { type: 'fixed' as const, delay: 50 } };
    expect(await kit.gate().admit(routed.req, routed.query, route)).toMatchObject({ type: 'queued' });
    expect(await kit.store.readStatus('gate-route')).toMatchObject({ state: 'queued', queue: 'slow' });
    const { job: byRoute } = await runNext(kit.store, ['slow'], async () => ({ type: 'complete' }));
    expect(byRoute).toMatchObject({ queue: 'slow', payload: { tries: 7, timeout: 1234, backoff: route.backoff } });
  });

  it('stores flow control with the job: the route’s limits, else its queue’s, keys hashed', async () => {
    const gate = kit.gate({ queueFlow: { [QUEUE]: { funnel: { limit: 2 } } } });
    const byQueue = jsonRequest('gate-flow-queue', { callback: callback() });
    await gate.admit(byQueue.req, byQueue.query, {});
    const tenant = 'tenant-secret-key';
    const byRoute = jsonRequest('gate-flow-route', { headers: { 'x-tenant': tenant }, callback: callback() });
    const route = {
      flowScope: 'Users.update',
      throttle: { allow: 3, every: 60_000, key: (r: unknown) => (r as IncomingRequest).headers['x-tenant'] as string },
      retryUntil: 60_000,
    };
    const before = Date.now();
    await gate.admit(byRoute.req, byRoute.query, route);
    const queued = new Map<string, ReservedJob>();
    for (let i = 0; i < 2; i++) {
      const { job } = await runNext(kit.store, [QUEUE], async () => ({ type: 'complete' }));
      queued.set(job.payload.correlationId, job);
    }
    const queueJob = queued.get('gate-flow-queue')!.payload;
    expect(queueJob.flow).toEqual({ funnel: { bucket: expect.stringMatching(/^f:/), limit: 2, retryAfter: 1000 } });
    expect(queueJob.retryUntil).toBeUndefined();
    const routeJob = queued.get('gate-flow-route')!.payload;
    // The route's throttle, and the queue's funnel still (a route replaces only the limits it sets).
    expect(routeJob.flow).toMatchObject({
      throttle: { bucket: expect.stringMatching(/^t:/), allow: 3, every: 60_000 },
      funnel: { limit: 2 },
    });
    expect(JSON.stringify(routeJob)).not.toContain(tenant);
    expect(routeJob.retryUntil).toBeGreaterThanOrEqual(before + 60_000);
  });

  it('holds a request back for a route’s delay', async () => {
    const { req, query } = jsonRequest('gate-delay', { callback: callback() });
    await kit.gate().admit(req, query, { delay: 60_000 });
    const [job] = await kit.store.listJobs({ limit: 10 });
    expect(job).toMatchObject({ correlationId: 'gate-delay', state: 'delayed' });
    expect(job!.availableAt! - job!.createdAt).toBeGreaterThanOrEqual(60_000);
    expect(await kit.store.readStatus('gate-delay')).toMatchObject({ state: 'queued' });
  });
});

describe('RequestGate: what it refuses', () => {
  it('refuses a malformed correlation id on a queued method before anything else', async () => {
    const { req, query } = jsonRequest('', { callback: callback() });
    expect(await kit.gate().admit(req, query, {})).toEqual({
      type: 'reject',
      reason: 'bad-correlation-id',
      message: 'X-Correlation-ID is empty',
    });
    expect(await kit.store.listJobs({ limit: 10 })).toEqual([]);
  });

  it.each([
    ['a private address', { url: 'http://10.0.0.1/hook', token: UNIT_TOKEN }, '_callback_url', /private or reserved/],
    ['not a URL', { url: 'not a url', token: UNIT_TOKEN }, '_callback_url', /_callback_url/],
    ['a short token', { url: 'https://example.com/hook', token: 'short' }, '_callback_token', /16 to 256/],
  ])('refuses a callback with %s, naming the field, and stores nothing', async (_what, cb, field, message) => {
    const { req, query } = jsonRequest('gate-bad-callback', { callback: cb });
    const decision = await kit.gate().admit(req, query, {});
    expect(decision).toMatchObject({
      type: 'reject',
      reason: 'bad-callback',
      correlationId: 'gate-bad-callback',
      field,
    });
    expect((decision as Extract<GateDecision, { type: 'reject' }>).message).toMatch(message);
    await expectNothingStored('gate-bad-callback');
  });

  it('refuses a callback URL without its token', async () => {
    const { req } = jsonRequest('gate-half');
    const decision = await kit.gate().admit(req, { _callback_url: receiver.url }, {});
    expect(decision).toMatchObject({ type: 'reject', reason: 'bad-callback', field: '_callback_token' });
    await expectNothingStored('gate-half');
  });

  it('refuses a body over the limit (413 naming body) and stores nothing', async () => {
    const gate = kit.gate({ limits: { maxBodyBytes: 64, maxHeaderBytes: 16 * 1024 } });
    const { req, query } = jsonRequest('gate-big', { body: { text: 'x'.repeat(100) }, callback: callback() });
    const decision = await gate.admit(req, query, {});
    expect(decision).toMatchObject({ type: 'reject', reason: 'body-too-large', field: 'body' });
    expect((decision as Extract<GateDecision, { type: 'reject' }>).message).toMatch(/at most 64/);
    await expectNothingStored('gate-big');
    // The same body under the limit is stored.
    const small = jsonRequest('gate-small', { body: { text: 'x' }, callback: callback() });
    expect((await gate.admit(small.req, small.query, {})).type).toBe('queued');
  });

  it('refuses headers over the limit (431 naming headers)', async () => {
    const gate = kit.gate({ limits: { maxBodyBytes: 1024, maxHeaderBytes: 100 } });
    const { req, query } = jsonRequest('gate-headers', { headers: { 'x-big': 'y'.repeat(200) }, callback: callback() });
    expect(await gate.admit(req, query, {})).toMatchObject({
      type: 'reject',
      reason: 'headers-too-large',
      field: 'headers',
    });
    await expectNothingStored('gate-headers');
  });

  it('answers a reused correlation id with a conflict, the first request staying as stored', async () => {
    const first = jsonRequest('gate-dup', { callback: callback() });
    const accepted = await kit.gate().admit(first.req, first.query, {});
    const again = jsonRequest('gate-dup', { body: { other: true }, callback: callback() });
    expect(await kit.gate().admit(again.req, again.query, {})).toMatchObject({
      type: 'reject',
      reason: 'conflict',
      correlationId: 'gate-dup',
    });
    const jobs = await kit.store.listJobs({ limit: 10 });
    expect(jobs.map((j) => j.id)).toEqual([(accepted as Extract<GateDecision, { type: 'queued' }>).jobId]);
  });

  it('in the Idempotency-Key mode answers the same request with its first answer, and another with a mismatch', async () => {
    const gate = kit.gate({ idempotencyKey: true });
    const first = jsonRequest('gate-idem', { callback: callback() });
    const accepted = await gate.admit(first.req, first.query, {});
    expect(accepted).toMatchObject({ type: 'queued', repeated: false });
    const repeated = await gate.admit(first.req, first.query, {});
    expect(repeated).toEqual({ ...accepted, repeated: true });
    expect(await kit.store.listJobs({ limit: 10 })).toHaveLength(1);

    const other = jsonRequest('gate-idem', { body: { name: 'Someone else' }, callback: callback() });
    expect(await gate.admit(other.req, other.query, {})).toMatchObject({
      type: 'reject',
      reason: 'idempotency-mismatch',
      field: 'X-Correlation-ID',
    });
    // A key a synchronous request holds has no first answer to give: a conflict.
    const sync = jsonRequest('gate-idem-sync');
    expect((await gate.admit(sync.req, sync.query, {})).type).toBe('sync');
    const queuedAfter = jsonRequest('gate-idem-sync', { callback: callback() });
    expect(await gate.admit(queuedAfter.req, queuedAfter.query, {})).toMatchObject({
      type: 'reject',
      reason: 'conflict',
    });
  });

  it('answers unavailable (503) when the store is down, and tells its watch why', async () => {
    const failures: string[] = [];
    let worked = 0;
    const gate = kit.gate({}, { failed: (cause) => failures.push(cause), worked: () => worked++ });
    const ok = jsonRequest('gate-up', { callback: callback() });
    expect((await gate.admit(ok.req, ok.query, {})).type).toBe('queued');
    expect(worked).toBe(1);

    await kit.store.close();
    const queued = jsonRequest('gate-down', { callback: callback() });
    expect(await gate.admit(queued.req, queued.query, {})).toEqual({
      type: 'reject',
      reason: 'unavailable',
      correlationId: 'gate-down',
      message: 'the request queue is unavailable, try again later',
    });
    const sync = jsonRequest('gate-down-sync');
    expect(await gate.admit(sync.req, sync.query, {})).toMatchObject({ type: 'reject', reason: 'unavailable' });
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/not open/);
    expect(worked).toBe(1);
    expect(kit.events.map(([name]) => name)).toEqual([RequestQueueEvent.Queued]);
  });
});

describe('prefersRespondAsync', () => {
  it.each([
    [undefined, false],
    ['respond-async', true],
    ['wait=5, Respond-Async', true],
    [['return=minimal', 'respond-async; foo=bar'], true],
    ['respond-asynchronously', false],
    ['return=representation', false],
  ])('%j -> %s', (prefer, expected) => {
    expect(prefersRespondAsync(prefer)).toBe(expected);
  });
});
