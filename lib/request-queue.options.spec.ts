import { describe, expect, it } from 'vitest';
import { RequestQueueConfigError, resolveOptions } from './request-queue.options.js';

describe('resolveOptions: correlation id settings', () => {
  it('defaults to X-Correlation-ID, claimed by synchronous requests', () => {
    const o = resolveOptions({});
    expect(o.correlationHeader).toBe('X-Correlation-ID');
    expect(o.claimSynchronousRequests).toBe(true);
  });

  it('keeps a valid header name as spelled, and claimSynchronousRequests false', () => {
    const o = resolveOptions({ correlationHeader: 'Idempotency-Key', claimSynchronousRequests: false });
    expect(o.correlationHeader).toBe('Idempotency-Key');
    expect(o.claimSynchronousRequests).toBe(false);
  });

  it.each(['', 'X Correlation', 'X-Id:', 'Ünïcode', 'a\nb'])(
    'refuses the header name %j, naming the option',
    (name) => {
      expect(() => resolveOptions({ correlationHeader: name })).toThrow(RequestQueueConfigError);
      expect(() => resolveOptions({ correlationHeader: name })).toThrow(
        /^correlationHeader must be an HTTP header name/,
      );
    },
  );

  it.each(['Host', 'content-length', 'X-Request-Queue-Replay', 'Authorization', 'Cookie'])(
    'refuses the reserved header %s',
    (name) => {
      expect(() => resolveOptions({ correlationHeader: name })).toThrow(/correlationHeader cannot be/);
    },
  );

  it('refuses a claimSynchronousRequests that is not a boolean', () => {
    expect(() => resolveOptions({ claimSynchronousRequests: 'false' as never })).toThrow(
      /claimSynchronousRequests must be true or false/,
    );
  });
});

describe('resolveOptions: status resources and the Idempotency-Key mode', () => {
  it('keeps status records as long as correlation ids, under /request-queue/requests, served by the module', () => {
    const o = resolveOptions({ correlationTtl: 5000 });
    expect(o).toMatchObject({
      statusTtl: 5000,
      statusPath: '/request-queue/requests',
      serveStatus: true,
      idempotencyKey: false,
    });
    expect(resolveOptions({ statusTtl: 1000, statusPath: '/api/v1/jobs', serveStatus: false })).toMatchObject({
      statusTtl: 1000,
      statusPath: '/api/v1/jobs',
      serveStatus: false,
    });
  });

  it.each(['', 'requests', '/requests/', '/requests/:id', '/a b', '/a?x=1', '/a/*'])(
    'refuses the status path %j, naming the option',
    (path) => {
      expect(() => resolveOptions({ statusPath: path })).toThrow(/^statusPath must be an absolute path/);
    },
  );

  it('reads the key from Idempotency-Key in that mode, unless the header is set', () => {
    expect(resolveOptions({ idempotencyKey: true }).correlationHeader).toBe('Idempotency-Key');
    expect(resolveOptions({ idempotencyKey: true, correlationHeader: 'X-Key' }).correlationHeader).toBe('X-Key');
    expect(() => resolveOptions({ idempotencyKey: 'yes' as never })).toThrow(/idempotencyKey must be true or false/);
    expect(() => resolveOptions({ statusTtl: 0 })).toThrow(/statusTtl must be a positive integer/);
  });
});

describe('resolveOptions: queue names', () => {
  it('refuses a callback lane as a queue of its own', () => {
    expect(() => resolveOptions({ queue: 'api:request#callbacks' })).toThrow(/callback lane of queue 'api:request'/);
    expect(() => resolveOptions({ worker: { queues: ['high', 'high#callbacks'] } })).toThrow(RequestQueueConfigError);
    expect(resolveOptions({ queue: 'api:request' }).worker.queues).toEqual(['api:request']);
  });
});

describe('resolveOptions: flow control per queue', () => {
  it('keeps valid limits and refuses numbers that cannot work, naming the queue and the field', () => {
    const flow = { 'api:request': { throttle: { allow: 10, every: 60_000 }, funnel: { limit: 1 } } };
    expect(resolveOptions({ flow }).flow).toEqual(flow);
    expect(resolveOptions({}).flow).toEqual({});
    expect(() => resolveOptions({ flow: { q: { throttle: { allow: 0, every: 1000 } } } })).toThrow(
      new RequestQueueConfigError("flow['q']: throttle.allow must be a positive integer (got 0)"),
    );
  });
});

describe('resolveOptions: worker.gracePeriod', () => {
  it('defaults to the longer of timeout and callback.timeout, plus 5 s', () => {
    expect(resolveOptions({}).worker.gracePeriod).toBe(35_000);
    expect(resolveOptions({ timeout: 5_000, callback: { timeout: 15_000 } }).worker.gracePeriod).toBe(20_000);
  });

  it('keeps a longer period as given, and raises a shorter one to callback.timeout + 5 s', () => {
    expect(resolveOptions({ worker: { gracePeriod: 60_000 } }).worker.gracePeriod).toBe(60_000);
    expect(resolveOptions({ worker: { gracePeriod: 2_000 }, callback: { timeout: 3_000 } }).worker.gracePeriod).toBe(
      8_000,
    );
  });

  it.each([-1, Number.NaN, '10s'])('refuses %j, naming the option', (value) => {
    expect(() => resolveOptions({ worker: { gracePeriod: value as number } })).toThrow(
      /^worker\.gracePeriod must be a number of ms, 0 or more/,
    );
  });
});
