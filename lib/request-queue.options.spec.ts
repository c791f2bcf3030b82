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
