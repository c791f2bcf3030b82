import { afterEach, describe, expect, it } from 'vitest';
import { CallbackReceiver } from '../../test/support/callback-receiver.js';
import { waitFor } from '../../test/support/wait-for.js';
import { freePort } from '../../test/support/free-port.js';
import {
  jsonRequest,
  openUnitKit,
  ReplayTarget,
  runNext,
  UNIT_TOKEN,
  type RanJob,
  type UnitKit,
} from '../../test/support/unit-store.js';
import type { RequestQueueModuleOptions } from '../request-queue.options.js';
import { backoffDelay } from './backoff.js';
import { CallbackSender } from './callback-sender.js';
import { RequestQueueEvent } from './events.js';
import type { JobResult, Outcome, ReservedJob } from './job.js';
import { workerDiedError } from './outcome.js';
import { ReplayClient } from './replay-client.js';
import type { RouteQueueOptions } from './request-gate.js';
import { RequestProcessor, webhookIdFor } from './request-processor.js';
import { SealedBox } from './sealed-box.js';
import { deriveKeys } from './secret-keys.js';

const QUEUE = 'api:request';
const LANE = `${QUEUE}#callbacks`;

let kit: UnitKit;
let receiver: CallbackReceiver;
let target: ReplayTarget;
const closers: (() => Promise<void>)[] = [];

/** A unit store, a callback receiver and a replay target; `options` over the unit defaults. */
async function setUp(options: RequestQueueModuleOptions = {}): Promise<void> {
  kit = await openUnitKit({ callback: { retryDelays: [20, 40] }, ...options });
  receiver = await new CallbackReceiver(UNIT_TOKEN).start();
  target = await new ReplayTarget().start();
  closers.push(
    () => kit.close(),
    () => receiver.close(),
    () => target.close(),
  );
}

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Queues `id` through the gate, with a callback to the receiver; returns its job id. */
async function enqueue(id: string, route: RouteQueueOptions = {}, body: unknown = { name: 'Ada' }): Promise<string> {
  const { req, query } = jsonRequest(id, { body, callback: { url: receiver.url, token: UNIT_TOKEN } });
  const decision = await kit.gate().admit(req, query, route);
  if (decision.type !== 'queued') throw new Error(`not queued: ${JSON.stringify(decision)}`);
  return decision.jobId;
}

/** Runs the next replay job through a processor replaying against the target. */
const replayNext = (): Promise<RanJob> => runNext(kit.store, [QUEUE], (job) => kit.processor(target.url).process(job));
/** Runs the next callback delivery. */
const deliverNext = (): Promise<RanJob> => runNext(kit.store, [LANE], (job) => kit.processor(target.url).process(job));

/** The outcome the status resource of `id` shows (the processor sealed it; the reader opens it). */
async function statusOutcome(id: string): Promise<Outcome | undefined> {
  const answer = await kit.status.read(id, kit.links.capability(id));
  return answer.found ? answer.view.result : undefined;
}

const names = () => kit.events.map(([name]) => name);

describe('RequestProcessor: replay outcomes', () => {
  it('completes a 2xx answer: final status, and a signed callback job carrying the outcome', async () => {
    await setUp();
    target.answers = [{ status: 201, body: { id: 1, name: 'Ada' } }];
    const jobId = await enqueue('p-ok');
    const ran = await replayNext();
    expect(ran.result.type).toBe('complete');
    const expected: Outcome = {
      correlationId: 'p-ok',
      status: 'completed',
      attempts: 1,
      response: { status: 201, headers: { 'content-type': 'application/json' }, body: { id: 1, name: 'Ada' } },
    };
    expect(await statusOutcome('p-ok')).toEqual(expected);
    expect(await kit.store.readStatus('p-ok')).toMatchObject({ state: 'completed', attempts: 1 });

    // The callback job: on the queue's lane, its tries from the delivery schedule, a stable webhook id.
    const next = (ran.result as Extract<JobResult, { type: 'complete' }>).next!;
    expect(next).toMatchObject({
      queue: LANE,
      delayMs: 0,
      payload: {
        kind: 'callback',
        correlationId: 'p-ok',
        callbackUrl: receiver.url,
        tries: 3,
        webhookId: webhookIdFor('p-ok', jobId),
      },
    });
    expect(JSON.stringify(next.payload)).not.toContain(UNIT_TOKEN);

    const delivered = await deliverNext();
    expect(delivered.result).toMatchObject({ type: 'complete', note: { status: 200 } });
    const [call] = await receiver.waitFor(1);
    expect(call!.verified).toBe(true);
    expect(call!.body).toEqual(expected);
    expect(call!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-correlation-id': 'p-ok',
      'webhook-id': webhookIdFor('p-ok', jobId),
      'webhook-timestamp': expect.stringMatching(/^\d+$/),
      'webhook-signature': expect.stringMatching(/^v1,/),
    });
    expect(await kit.store.listJobs({ limit: 10 })).toEqual([]);
    expect(names()).toEqual([
      RequestQueueEvent.Queued,
      RequestQueueEvent.Processing,
      RequestQueueEvent.Completed,
      RequestQueueEvent.Processing,
      RequestQueueEvent.CallbackDelivered,
    ]);
  });

  it.each([301, 400, 404, 409, 422])(
    'takes a %i answer as final: no retry, the answer in the outcome',
    async (status) => {
      await setUp();
      target.answers = [{ status, body: { error: 'no' } }];
      await enqueue('p-final');
      const ran = await replayNext();
      expect(ran.result.type).toBe('complete');
      expect(await statusOutcome('p-final')).toMatchObject({
        status: 'completed',
        attempts: 1,
        response: { status, body: { error: 'no' } },
      });
      expect(target.requests).toHaveLength(1);
    },
  );

  it.each([500, 502, 503, 408, 429])('retries a %i answer after its backoff, attempts counted', async (status) => {
    await setUp();
    target.answers = [{ status }];
    const backoff = { type: 'fixed' as const, delay: 30 };
    await enqueue('p-retry', { tries: 3, backoff });
    const ran = await replayNext();
    expect(ran.result).toEqual({
      type: 'retry',
      error: `replay answered ${status}`,
      delayMs: backoffDelay(backoff, 1),
      note: { status, durationMs: expect.any(Number), error: `replay answered ${status}` },
    });
    const record = await kit.store.readStatus('p-retry');
    expect(record).toMatchObject({ state: 'retrying', attempts: 1 });
    expect(record!.nextAttemptAt).toBeGreaterThanOrEqual(record!.updatedAt); // runnable again only after the delay
    expect(kit.events.at(-1)).toEqual([
      RequestQueueEvent.Failed,
      expect.objectContaining({ error: `replay answered ${status}`, retryInMs: 30, attempt: 1 }),
    ]);

    const second = await replayNext();
    expect(second.job.attempt).toBe(2);
    expect(second.result.type).toBe('complete');
    expect(await statusOutcome('p-retry')).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('waits longer after each attempt on an exponential backoff, then fails with the last answer once tries run out', async () => {
    await setUp();
    target.answers = [{ status: 503 }, { status: 500 }, { status: 502, body: { down: true } }];
    const backoff = { type: 'exponential' as const, delay: 20 };
    await enqueue('p-exhausted', { tries: 3, backoff });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      const ran = await replayNext();
      expect(ran.job.attempt).toBe(attempt);
      expect(ran.result.type).toBe('retry');
      delays.push((ran.result as Extract<JobResult, { type: 'retry' }>).delayMs);
    }
    expect(delays).toEqual([backoffDelay(backoff, 1), backoffDelay(backoff, 2)]);
    expect(delays[1]).toBe(2 * delays[0]!);

    const last = await replayNext();
    expect(last.result).toMatchObject({ type: 'fail', error: 'replay answered 502 (after 3 attempts)' });
    const failed = await kit.store.listFailed();
    expect(failed).toMatchObject([{ kind: 'replay', correlationId: 'p-exhausted', error: expect.any(String) }]);
    const outcome = await statusOutcome('p-exhausted');
    expect(outcome).toEqual({
      correlationId: 'p-exhausted',
      status: 'failed',
      attempts: 3,
      response: { status: 502, headers: { 'content-type': 'application/json' }, body: { down: true } },
      error: 'replay answered 502 (after 3 attempts)',
    });
    // The failure is delivered too, signed.
    await deliverNext();
    const [call] = await receiver.waitFor(1);
    expect(call!.verified).toBe(true);
    expect(call!.body).toEqual(outcome);
    expect(target.requests).toHaveLength(3);
  });

  it('retries an attempt that outlives its timeout, as an error that says so', async () => {
    await setUp({ timeout: 200, callback: { timeout: 200, retryDelays: [20] } });
    target.answers = ['hang'];
    await enqueue('p-timeout', { tries: 2, backoff: { type: 'fixed', delay: 10 } });
    const ran = await replayNext();
    expect(ran.job.payload.timeout).toBe(200);
    expect(ran.result).toMatchObject({ type: 'retry', error: expect.stringMatching(/^timed out/) });
    const second = await replayNext();
    expect(second.result.type).toBe('complete');
    expect(await statusOutcome('p-timeout')).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('retries when the app cannot be reached, and fails with the connection error when tries run out', async () => {
    await setUp();
    const closedPort = await freePort();
    await enqueue('p-down', { tries: 2, backoff: { type: 'fixed', delay: 10 } });
    const offline = () =>
      runNext(kit.store, [QUEUE], (job) => kit.processor(`http://127.0.0.1:${closedPort}`).process(job));
    expect((await offline()).result).toMatchObject({ type: 'retry', error: expect.stringMatching(/ECONNREFUSED/) });
    const last = await offline();
    expect(last.result).toMatchObject({
      type: 'fail',
      error: expect.stringMatching(/ECONNREFUSED.*\(after 2 attempts\)$/),
    });
    expect(await statusOutcome('p-down')).toMatchObject({ status: 'failed', attempts: 2, response: null });
  });

  it('fails a request it cannot open (sealed under another secret) without replaying it, with a final status', async () => {
    await setUp();
    await enqueue('p-sealed');
    const stranger = new RequestProcessor(
      new SealedBox(deriveKeys('another-secret')),
      new ReplayClient(target.url, deriveKeys('another-secret').marker),
      new CallbackSender({ policy: kit.options.callback }),
      { callbackRetryDelays: [20], callbackTimeout: 1000, statusTtl: 60_000 },
    );
    const ran = await runNext(kit.store, [QUEUE], (job) => stranger.process(job));
    expect(ran.result).toMatchObject({ type: 'fail', error: expect.stringMatching(/^cannot open stored request: /) });
    expect((ran.result as Extract<JobResult, { type: 'fail' }>).next).toBeUndefined();
    expect(target.requests).toEqual([]);
    expect(await kit.store.readStatus('p-sealed')).toMatchObject({ state: 'failed' });
  });
});

describe('RequestProcessor: retryUntil', () => {
  it('fails a replay past its deadline without running it, with a failure callback that says why', async () => {
    await setUp();
    await enqueue('p-deadline', { retryUntil: 1, tries: 10 });
    const queuedAt = Date.now();
    await waitFor('the deadline to pass', () => Date.now() > queuedAt + 1);
    const ran = await replayNext();
    expect(ran.result).toMatchObject({
      type: 'fail',
      error: expect.stringMatching(/^retryUntil deadline passed \(.+, after 0 attempts\)$/),
    });
    expect(target.requests).toEqual([]);
    expect(await statusOutcome('p-deadline')).toMatchObject({ status: 'failed', response: null });
    await deliverNext();
    const [call] = await receiver.waitFor(1);
    expect(call!.verified).toBe(true);
    expect(call!.body.error).toMatch(/retryUntil deadline passed/);
  });

  it('does not retry when the next attempt would start after the deadline, though tries remain', async () => {
    await setUp();
    target.answers = [{ status: 503 }, { status: 503 }];
    await enqueue('p-late', { tries: 10, backoff: { type: 'fixed', delay: 120_000 }, retryUntil: 60_000 });
    const ran = await replayNext();
    expect(ran.result).toMatchObject({
      type: 'fail',
      error: expect.stringMatching(
        /^replay answered 503 \(after 1 attempt; retryUntil deadline passed .*would start after it\)$/,
      ),
    });
    await deliverNext(); // its failure callback, which a consumer of the queue would take first
    // With a deadline after the next attempt, the same answer is retried.
    await enqueue('p-early', { tries: 10, backoff: { type: 'fixed', delay: 10 }, retryUntil: 60_000 });
    const early = await replayNext();
    expect(early.job.payload.correlationId).toBe('p-early');
    expect(early.result.type).toBe('retry');
  });
});

describe('RequestProcessor: callback deliveries', () => {
  it('retries a delivery the receiver refused on the delivery schedule, then fails it without replaying again', async () => {
    await setUp();
    await enqueue('p-cb');
    await replayNext();
    receiver.answers = [500, 503, 500];
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      const ran = await deliverNext();
      expect(ran.job.attempt).toBe(attempt);
      expect(ran.result).toMatchObject({
        type: 'retry',
        error: `callback receiver answered ${attempt === 1 ? 500 : 503}`,
      });
      delays.push((ran.result as Extract<JobResult, { type: 'retry' }>).delayMs);
    }
    expect(delays).toEqual(kit.options.callback.retryDelays);
    const last = await deliverNext();
    expect(last.result).toMatchObject({ type: 'fail', error: 'callback receiver answered 500' });
    expect(await kit.store.listFailed()).toMatchObject([{ kind: 'callback', correlationId: 'p-cb' }]);
    // Every attempt was the same signed delivery; the request ran once and stays completed.
    const calls = await receiver.waitFor(3);
    expect(new Set(calls.map((c) => c.headers['webhook-id'])).size).toBe(1);
    expect(calls.every((c) => c.verified)).toBe(true);
    expect(target.requests).toHaveLength(1);
    expect(await kit.store.readStatus('p-cb')).toMatchObject({ state: 'completed' });
    expect(names().filter((n) => n === RequestQueueEvent.CallbackFailed)).toHaveLength(3);
  });

  it('stops at 410 Gone: no retry', async () => {
    await setUp();
    await enqueue('p-gone');
    await replayNext();
    receiver.answers = [410];
    expect((await deliverNext()).result).toMatchObject({
      type: 'fail',
      error: 'callback receiver answered 410 Gone',
      note: { status: 410 },
    });
  });

  it('fails, without sending, a delivery the callback policy now refuses', async () => {
    await setUp();
    await enqueue('p-refused');
    await replayNext();
    const strict = new RequestProcessor(
      kit.box,
      new ReplayClient(target.url, kit.markerKey),
      new CallbackSender({ policy: { allowedHosts: [], httpsOnly: false } }),
      { callbackRetryDelays: [20], callbackTimeout: 1000, statusTtl: 60_000 },
    );
    const ran = await runNext(kit.store, [LANE], (job) => strict.process(job));
    expect(ran.result).toMatchObject({ type: 'fail', error: expect.stringMatching(/private or reserved/) });
    expect(receiver.calls).toEqual([]);
  });
});

describe('RequestProcessor and lost leases', () => {
  /** Takes the next job of `queues` and lets its worker "die": the job is left to its lease. */
  async function abandonNext(queues: string[]): Promise<ReservedJob> {
    let taken: ReservedJob | undefined;
    const consumer = await kit.store.consume({ queues, concurrency: 1, idleMs: 20 }, (job) => {
      taken = job;
      return new Promise<JobResult>(() => {}); // never answers: the worker died holding it
    });
    await waitFor('a job to be taken', () => taken !== undefined);
    await consumer.stop(0);
    return taken!;
  }

  it('turns a job out of leases into the failure outcome of a replay out of tries: callback, status, never a replay', async () => {
    // A lease just over the longest attempt, so a dead worker's job comes back quickly.
    await setUp({ timeout: 50, callback: { timeout: 50, retryDelays: [20] }, database: { retryAfter: 100 } });
    await enqueue('p-poison', { tries: 1 });
    const losses: (number | undefined)[] = [];
    for (let i = 0; i < 3; i++) losses.push((await abandonNext([QUEUE])).leaseLosses);
    expect(losses.map((n) => n ?? 0)).toEqual([0, 1, 2]);

    const ran = await replayNext();
    expect(ran.job).toMatchObject({ leasesExhausted: true, leaseLosses: 3 });
    const error = workerDiedError(3);
    expect(ran.result).toMatchObject({ type: 'fail', error });
    expect(target.requests).toEqual([]);
    const expected: Outcome = {
      correlationId: 'p-poison',
      status: 'failed',
      attempts: ran.job.attempt,
      response: null,
      error,
    };
    expect(await statusOutcome('p-poison')).toEqual(expected);
    expect(await kit.store.listFailed()).toMatchObject([{ kind: 'replay', correlationId: 'p-poison', error }]);
    expect(names().slice(-2)).toEqual([RequestQueueEvent.JobRecovered, RequestQueueEvent.Failed]);
    expect(kit.events.at(-1)![1]).toMatchObject({ leaseLosses: 3, outcome: expected });

    await deliverNext();
    const [call] = await receiver.waitFor(1);
    expect(call!.verified).toBe(true);
    expect(call!.body).toEqual(expected);
  });

  it('emits job.recovered for a job a dead worker held, then runs it as usual', async () => {
    await setUp({ timeout: 50, callback: { timeout: 50, retryDelays: [20] }, database: { retryAfter: 100 } });
    await enqueue('p-recovered', { tries: 3 });
    await abandonNext([QUEUE]);
    const ran = await replayNext();
    expect(ran.job.leaseLosses).toBe(1);
    expect(ran.result.type).toBe('complete');
    expect(target.requests).toHaveLength(1);
    expect(names().slice(-3)).toEqual([
      RequestQueueEvent.JobRecovered,
      RequestQueueEvent.Processing,
      RequestQueueEvent.Completed,
    ]);
  });

  it('fails an exhausted callback delivery without another, and a request queued without a callback has none', async () => {
    await setUp({ timeout: 50, callback: { timeout: 50, retryDelays: [20] }, database: { retryAfter: 100 } });
    const processor = kit.processor(target.url);
    // A replay job handed over to be failed, queued without a callback (Prefer: respond-async).
    const { req, query } = jsonRequest('p-no-callback', { headers: { prefer: 'respond-async' } });
    await kit.gate().admit(req, query, { tries: 1 });
    for (let i = 0; i < 3; i++) await abandonNext([QUEUE]);
    const ran = await runNext(kit.store, [QUEUE], (job) => processor.process(job));
    expect(ran.result).toMatchObject({ type: 'fail', error: workerDiedError(3), next: undefined });
    expect(await kit.store.readStatus('p-no-callback')).toMatchObject({ state: 'failed' });

    // A callback delivery whose workers died: failed, no further job.
    await enqueue('p-cb-poison');
    await replayNext();
    for (let i = 0; i < 4; i++) await abandonNext([LANE]);
    const delivery = await deliverNext();
    expect(delivery.job.leasesExhausted).toBe(true);
    expect(delivery.result).toEqual({ type: 'fail', error: workerDiedError(delivery.job.leaseLosses!) });
    expect(receiver.calls).toEqual([]);
  });
});
