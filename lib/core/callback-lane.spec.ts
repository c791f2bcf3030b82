import { describe, expect, it } from 'vitest';
import { baseQueue, callbackLane, isCallbackLane, withLanes } from './callback-lane.js';

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
});
