import { describe, expect, it } from 'vitest';
import { backoffDelay, scheduleDelay } from './backoff.js';
import { isRetryable } from './outcome.js';

describe('backoff', () => {
  it('doubles from the base delay when exponential', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay({ type: 'exponential', delay: 1000 }, n))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect(backoffDelay({ type: 'fixed', delay: 500 }, 7)).toBe(500);
  });
  it('runs out at the end of a schedule', () => {
    expect(scheduleDelay([5, 10], 1)).toBe(5);
    expect(scheduleDelay([5, 10], 2)).toBe(10);
    expect(scheduleDelay([5, 10], 3)).toBeNull();
  });
});

describe('isRetryable (README "Worker and outcome")', () => {
  it.each([
    [200, false],
    [204, false],
    [302, false],
    [400, false],
    [404, false],
    [422, false],
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
  ])('status %i → %s', (status, retry) => {
    expect(isRetryable({ type: 'response', status, headers: {}, body: '' })).toBe(retry);
  });
  it('retries network errors and timeouts', () => {
    expect(isRetryable({ type: 'error', error: 'ECONNREFUSED' })).toBe(true);
  });
});
