import { describe, expect, it } from 'vitest';
import type { CallbackSender } from './callback-sender.js';
import { RequestQueueEvent, type RequestQueueEventName, type RequestQueueEventPayload } from './events.js';
import { openJob, sealJob, type PlainJob } from './job-seal.js';
import type { Outcome, ReservedJob, SealedRequest } from './job.js';
import type { ReplayClient } from './replay-client.js';
import { RequestProcessor } from './request-processor.js';
import { SealedBox } from './sealed-box.js';
import { deriveKeys } from './secret-keys.js';
import { statusBinding } from './status-view.js';

const box = new SealedBox(deriveKeys('processor-secret'));

function replayJob(overrides: Partial<ReservedJob> = {}): ReservedJob {
  const plain: PlainJob<'replay'> = {
    v: 1,
    kind: 'replay',
    correlationId: 'c-1',
    method: 'PUT',
    path: '/user/1',
    callbackUrl: 'https://receiver.example/hook',
    queuedAt: 1,
    tries: 1,
    backoff: { type: 'fixed', delay: 100 },
    timeout: 1000,
  };
  const secret: SealedRequest = { headers: {}, body: null, callbackToken: 'token-1' };
  const payload = sealJob(box, plain, secret);
  return { id: '42', queue: 'api:request', payload, attempt: 1, ...overrides };
}

function processor(events: [RequestQueueEventName, RequestQueueEventPayload][] = []) {
  const replayClient = {
    replay: () => {
      throw new Error('a job handed over to be failed must never be replayed');
    },
  } as unknown as ReplayClient;
  const sender = {} as CallbackSender;
  return new RequestProcessor(
    box,
    replayClient,
    sender,
    { callbackRetryDelays: [100, 200], callbackTimeout: 1000, statusTtl: 60_000 },
    (name, payload) => events.push([name, payload]),
  );
}

describe('RequestProcessor and lost leases', () => {
  it('turns a job out of leases into the failure outcome of a replay out of tries: callback, status, never a replay', async () => {
    const events: [RequestQueueEventName, RequestQueueEventPayload][] = [];
    const job = replayJob({ attempt: 3, leaseLosses: 3, leasesExhausted: true });
    const result = await processor(events).process(job);
    expect(result.type).toBe('fail');
    if (result.type !== 'fail') return;
    expect(result.error).toBe('worker died 3 times while running it (its lease expired each time)');
    const expected: Outcome = {
      correlationId: 'c-1',
      status: 'failed',
      attempts: 3,
      response: null,
      error: result.error,
    };
    // The failure callback, on the queue's callback lane, with the outcome sealed for it.
    expect(result.next).toMatchObject({
      queue: 'api:request#callbacks',
      delayMs: 0,
      payload: { kind: 'callback', correlationId: 'c-1', tries: 3, callbackUrl: 'https://receiver.example/hook' },
    });
    const sealed = openJob(box, result.next!.payload, 'callback');
    expect(sealed).toEqual({ callbackToken: 'token-1', outcome: expected });
    // The status record's final outcome, sealed as the status resource reads it.
    expect(result.status!.keepMs).toBe(60_000);
    expect(box.open<Outcome>(result.status!.result, statusBinding('c-1'))).toEqual(expected);
    // Accounted for: recovered (with the count), then failed; never `processing`.
    expect(events.map(([name]) => name)).toEqual([RequestQueueEvent.JobRecovered, RequestQueueEvent.Failed]);
    expect(events[0]![1]).toMatchObject({ correlationId: 'c-1', leaseLosses: 3 });
    expect(events[1]![1]).toMatchObject({ leaseLosses: 3, outcome: expected });
  });

  it('has no callback for a request queued without one, and fails an exhausted callback delivery without another', async () => {
    const noCallback = replayJob({ leaseLosses: 1, leasesExhausted: true });
    const { sealed: _, ...plain } = noCallback.payload;
    noCallback.payload = sealJob(
      box,
      { ...plain, kind: 'replay', callbackUrl: '' },
      {
        headers: {},
        body: null,
        callbackToken: '',
      },
    );
    const result = await processor().process(noCallback);
    expect(result).toMatchObject({
      type: 'fail',
      error: 'worker died 1 time while running it (its lease expired each time)',
    });
    expect(result.type === 'fail' && result.next).toBeUndefined();
    expect(result.type === 'fail' && result.status).toBeTruthy();

    const delivery = replayJob({ leaseLosses: 4, leasesExhausted: true });
    delivery.payload = { ...delivery.payload, kind: 'callback', webhookId: 'msg_x' };
    expect(await processor().process(delivery)).toEqual({
      type: 'fail',
      error: 'worker died 4 times while running it (its lease expired each time)',
    });
  });

  it('emits job.recovered for a job a dead worker held, then runs it as usual', async () => {
    const events: [RequestQueueEventName, RequestQueueEventPayload][] = [];
    const job = replayJob({ attempt: 2, leaseLosses: 1 });
    await expect(processor(events).process(job)).rejects.toThrow(/never be replayed/);
    expect(events.map(([name]) => name)).toEqual([RequestQueueEvent.JobRecovered, RequestQueueEvent.Processing]);
  });
});

describe('RequestProcessor and retryUntil', () => {
  it('fails a replay past its deadline without running it, with a failure callback that says why', async () => {
    const events: [RequestQueueEventName, RequestQueueEventPayload][] = [];
    const job = replayJob({ attempt: 2 });
    job.payload.tries = 10;
    job.payload.retryUntil = Date.now() - 1;
    const result = await processor(events).process(job);
    expect(result.type).toBe('fail');
    if (result.type !== 'fail') return;
    expect(result.error).toMatch(/^retryUntil deadline passed \(.+, after 1 attempt\)$/);
    expect(result.next?.payload.kind).toBe('callback');
    const sealed = openJob(box, result.next!.payload, 'callback');
    expect(sealed.outcome).toMatchObject({ status: 'failed', attempts: 1, response: null, error: result.error });
    expect(result.status).toBeDefined();
  });

  it('does not retry when the next attempt would start after the deadline, though tries remain', async () => {
    const replayClient = {
      replay: async () => ({ type: 'response', status: 503, headers: {}, body: null }),
    } as unknown as ReplayClient;
    const p = new RequestProcessor(box, replayClient, {} as CallbackSender, {
      callbackRetryDelays: [100],
      callbackTimeout: 1000,
      statusTtl: 60_000,
    });
    const job = replayJob();
    job.payload.tries = 10;
    job.payload.backoff = { type: 'fixed', delay: 60_000 };
    job.payload.retryUntil = Date.now() + 30_000;
    const result = await p.process(job);
    expect(result.type).toBe('fail');
    if (result.type === 'fail') expect(result.error).toMatch(/retryUntil deadline passed/);
    job.payload.retryUntil = Date.now() + 120_000;
    expect((await p.process(job)).type).toBe('retry');
  });
});
