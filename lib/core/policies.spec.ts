import { describe, expect, it } from 'vitest';
import type { JobPayload, ReservedJob } from './job.js';
import {
  defaultLease,
  GRACE_MARGIN_MS,
  gracePeriod,
  hasAttemptsLeft,
  leasesExhausted,
  longestAttempt,
  resultOfThrow,
  THROWN_HANDLER_RETRY_MS,
} from './policies.js';

describe('gracePeriod', () => {
  it('covers the longer of a replay and a callback delivery, plus the margin', () => {
    expect(gracePeriod(30_000, 15_000)).toBe(30_000 + GRACE_MARGIN_MS);
    // The bug it fixes: timeout 5 s used to give 10 s while a delivery may take 15 s.
    expect(gracePeriod(5_000, 15_000)).toBe(15_000 + GRACE_MARGIN_MS);
  });

  it('keeps a configured period, but never below a callback delivery plus the margin', () => {
    expect(gracePeriod(5_000, 15_000, 60_000)).toBe(60_000);
    expect(gracePeriod(60_000, 15_000, 2_000)).toBe(15_000 + GRACE_MARGIN_MS);
    expect(gracePeriod(5_000, 1_000, 0)).toBe(1_000 + GRACE_MARGIN_MS);
  });

  it('is its own fixed point: a resolved period given again stays the same', () => {
    const once = gracePeriod(5_000, 15_000);
    expect(gracePeriod(5_000, 15_000, once)).toBe(once);
  });
});

describe('lease', () => {
  it('is 90 s at least, else the longest attempt plus 30 s', () => {
    expect(defaultLease(longestAttempt(30_000, 15_000))).toBe(90_000);
    expect(defaultLease(longestAttempt(10_000, 120_000))).toBe(150_000);
  });

  it('is exhausted after tries + 2 reservations', () => {
    expect(leasesExhausted(5, 3)).toBe(false);
    expect(leasesExhausted(6, 3)).toBe(true);
  });
});

describe('attempt budget', () => {
  it('leaves another attempt while attempt < tries', () => {
    expect(hasAttemptsLeft(1, 3)).toBe(true);
    expect(hasAttemptsLeft(2, 3)).toBe(true);
    expect(hasAttemptsLeft(3, 3)).toBe(false);
    expect(hasAttemptsLeft(1, 1)).toBe(false);
  });
});

describe('resultOfThrow', () => {
  function job(attempt: number, tries: number, extra: Partial<ReservedJob> = {}): ReservedJob {
    const payload = { kind: 'replay', tries } as JobPayload;
    return { id: '1', queue: 'q', payload, attempt, ...extra };
  }

  it('retries after a fixed delay while attempts last, naming the error', () => {
    expect(resultOfThrow(job(1, 3), new Error('boom'))).toEqual({
      type: 'retry',
      error: 'worker error: boom',
      delayMs: THROWN_HANDLER_RETRY_MS,
    });
  });

  it('fails on the last attempt', () => {
    expect(resultOfThrow(job(3, 3), 'not an Error')).toEqual({ type: 'fail', error: 'worker error: not an Error' });
  });

  it('fails a job whose leases are exhausted as its worker deaths say', () => {
    const result = resultOfThrow(job(1, 3, { leasesExhausted: true, leaseLosses: 3 }), new Error('boom'));
    expect(result).toEqual({ type: 'fail', error: expect.stringMatching(/^worker died 3 times/) as unknown });
  });
});
