import { describe, expect, it } from 'vitest';
import { FlowOptionError, jobFlow } from './flow-settings.js';
import type { FlowRequest } from './flow-options.js';

const key = Buffer.from('flow-test-key');
const req = (user: string): FlowRequest => ({ method: 'PUT', url: `/u/${user}`, headers: {}, params: { user } });

describe('jobFlow', () => {
  it('stores the limits with a hashed bucket per scope and key, never the key itself', () => {
    const options = {
      throttle: { allow: 10, every: 60_000, key: (r: FlowRequest) => r.params!.user! },
      funnel: { limit: 1, key: (r: FlowRequest) => r.params!.user! },
    };
    const a = jobFlow(options, 'route:Users.update', req('alice@example.com'), key)!;
    const again = jobFlow(options, 'route:Users.update', req('alice@example.com'), key)!;
    const b = jobFlow(options, 'route:Users.update', req('bob'), key)!;
    expect(a.throttle).toMatchObject({ allow: 10, every: 60_000 });
    expect(a.funnel).toMatchObject({ limit: 1, retryAfter: 1000 });
    expect(a).toEqual(again); // the same in every process
    expect(a.throttle!.bucket).not.toBe(b.throttle!.bucket);
    expect(a.throttle!.bucket).not.toBe(a.funnel!.bucket);
    expect(JSON.stringify(a)).not.toContain('alice');
    expect(jobFlow(options, 'route:Other.update', req('alice@example.com'), key)!.throttle!.bucket).not.toBe(
      a.throttle!.bucket,
    );
  });

  it('is undefined without limits, and refuses numbers that cannot work, naming them', () => {
    expect(jobFlow(undefined, 's', req('x'), key)).toBeUndefined();
    expect(jobFlow({}, 's', req('x'), key)).toBeUndefined();
    expect(() => jobFlow({ throttle: { allow: 0, every: 1000 } }, 'route:A.b', req('x'), key)).toThrow(
      new FlowOptionError('route:A.b: throttle.allow must be a positive integer (got 0)'),
    );
    expect(() => jobFlow({ funnel: { limit: 1.5 } }, 'q', req('x'), key)).toThrow(/funnel.limit/);
  });
});
