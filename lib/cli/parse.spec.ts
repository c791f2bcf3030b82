import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseHours, parsePositiveInt, parseQueueList, parseSeconds } from './parse.js';

describe('request-queue flag values', () => {
  it('--concurrency, --tries, --max-jobs: whole numbers from 1', () => {
    expect(parsePositiveInt('1')).toBe(1);
    expect(parsePositiveInt(' 12 ')).toBe(12);
    for (const bad of ['0', '-1', '1.5', '1e3', 'x', '', '99999999999999999999']) {
      expect(() => parsePositiveInt(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('--sleep, --timeout, --max-time: seconds above 0, fractions allowed, in ms', () => {
    expect(parseSeconds('3')).toBe(3000);
    expect(parseSeconds('0.25')).toBe(250);
    for (const bad of ['0', '-2', 'soon', '', 'Infinity'])
      expect(() => parseSeconds(bad), bad).toThrow(InvalidArgumentError);
  });

  it('--hours: 0 or more, in ms', () => {
    expect(parseHours('0')).toBe(0);
    expect(parseHours('48')).toBe(48 * 3_600_000);
    expect(parseHours('0.5')).toBe(1_800_000);
    for (const bad of ['-1', 'x', '']) expect(() => parseHours(bad), bad).toThrow(InvalidArgumentError);
  });

  it('--queue: comma-separated names in priority order', () => {
    expect(parseQueueList('high,default')).toEqual(['high', 'default']);
    expect(parseQueueList(' api:request ')).toEqual(['api:request']);
    for (const bad of ['', 'a,,b', 'a,', 'a,a']) expect(() => parseQueueList(bad), bad).toThrow(InvalidArgumentError);
    expect(() => parseQueueList('high,api:request#callbacks')).toThrow(
      /'api:request#callbacks' is the callback lane of queue 'api:request': name the queue itself/,
    );
  });
});
