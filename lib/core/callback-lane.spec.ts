import { describe, expect, it } from 'vitest';
import { baseQueue, callbackLane, deliveryToHandOver, isCallbackLane, withLanes } from './callback-lane.js';
import type { JobPayload, JobResult, NewJob } from './job.js';

describe('callback lane', () => {
  it('names a lane after its queue and back', () => {
    expect(callbackLane('api:request')).toBe('api:request#callbacks');
    expect(isCallbackLane('api:request#callbacks')).toBe(true);
    expect(isCallbackLane('api:request')).toBe(false);
    expect(isCallbackLane('#callbacks')).toBe(false);
    expect(baseQueue('api:request#callbacks')).toBe('api:request');
    expect(baseQueue('api:request')).toBe('api:request');
  });

  it('is idempotent: a lane is its own lane', () => {
    expect(callbackLane(callbackLane('q'))).toBe('q#callbacks');
  });

  it('puts each lane right before its queue, keeping the priority between queues', () => {
    expect(withLanes(['high', 'default'])).toEqual(['high#callbacks', 'high', 'default#callbacks', 'default']);
    expect(withLanes(['a', 'a#callbacks'])).toEqual(['a#callbacks', 'a']);
  });

  it('hands over only a delivery due at once on a lane, from a complete or fail result', () => {
    const job = (queue: string, delayMs = 0): NewJob => ({ queue, payload: {} as JobPayload, delayMs });
    const lane = job('api:request#callbacks');
    const results: [JobResult, NewJob | undefined][] = [
      [{ type: 'complete', next: lane }, lane],
      [{ type: 'fail', error: 'x', next: lane }, lane],
      [{ type: 'complete', next: job('api:request#callbacks', 1000) }, undefined],
      [{ type: 'complete', next: job('api:request') }, undefined],
      [{ type: 'complete' }, undefined],
      [{ type: 'retry', error: 'x', delayMs: 0 }, undefined],
    ];
    for (const [result, handed] of results) expect(deliveryToHandOver(result)).toBe(handed);
  });
});
