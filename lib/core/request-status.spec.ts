import { describe, expect, it } from 'vitest';
import {
  attemptEntry,
  minuteOf,
  parseTimeline,
  TIMELINE_ERROR_LIMIT,
  TIMELINE_LIMIT,
  timelineLine,
  type TimelineEntry,
} from './request-status.js';

describe('timeline entries', () => {
  it('describes a settled attempt from the worker note, else from the result', () => {
    expect(attemptEntry('replay', 2, 1000, { status: 503, durationMs: 12.6 }, 'replay answered 503', 5000)).toEqual({
      at: 1000,
      kind: 'attempt',
      attempt: 2,
      status: 503,
      durationMs: 13,
      error: 'replay answered 503',
    });
    // no note (the handler threw): the time since the take, the result's error
    expect(attemptEntry('callback', 1, 1000, undefined, 'worker error: bug', 1250)).toEqual({
      at: 1000,
      kind: 'callback',
      attempt: 1,
      durationMs: 250,
      error: 'worker error: bug',
    });
    expect(attemptEntry('replay', 1, 1000, { status: 200, durationMs: 5 }, undefined).error).toBeUndefined();
    const long = attemptEntry('replay', 1, 0, { error: 'x'.repeat(500) }, 'y', 1);
    expect(long.error).toHaveLength(TIMELINE_ERROR_LIMIT);
  });

  it('reads stored lines back, skipping damaged ones, the last TIMELINE_LIMIT only', () => {
    const entries: TimelineEntry[] = Array.from({ length: TIMELINE_LIMIT + 3 }, (_, i) => ({
      at: i,
      kind: 'attempt',
      attempt: i + 1,
      error: 'a\nmultiline error', // JSON keeps it on one line
    }));
    const text = ['{broken', ...entries.map(timelineLine), '{"at":"x","kind":"queued"}', ''].join('\n');
    const read = parseTimeline(text);
    expect(read).toHaveLength(TIMELINE_LIMIT);
    expect(read[0]!.attempt).toBe(4);
    expect(read.at(-1)).toEqual(entries.at(-1));
    expect(parseTimeline(null)).toEqual([]);
    expect(parseTimeline('')).toEqual([]);
  });

  it('puts a time in its minute', () => {
    expect(minuteOf(Date.UTC(2026, 10, 30, 3, 4, 59, 999))).toBe(Date.UTC(2026, 10, 30, 3, 4));
    expect(minuteOf(Date.UTC(2026, 10, 30, 3, 5))).toBe(Date.UTC(2026, 10, 30, 3, 5));
  });
});
