import { InvalidArgumentError } from 'commander';
import { baseQueue, isCallbackLane } from '../core/callback-lane.js';

/** `--concurrency 4`: a whole number of at least 1. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1.');
  }
  return n;
}

/** `--sleep 0.5`, `--timeout 30`: seconds (fractions allowed, more than 0), as milliseconds. */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('expected a number of seconds greater than 0.');
  }
  return Math.round(n * 1000);
}

/** `--hours 48`: hours (fractions allowed, 0 or more), as milliseconds. */
export function parseHours(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('expected a number of hours (0 or more).');
  }
  return Math.round(n * 3_600_000);
}

/** `--queue high,default`: queue names, highest priority first. */
export function parseQueueList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.length === 0 || names.some((n) => n === '')) {
    throw new InvalidArgumentError('expected queue names separated by commas, e.g. high,default.');
  }
  if (new Set(names).size !== names.length) throw new InvalidArgumentError('a queue is named twice.');
  const lane = names.find(isCallbackLane);
  if (lane !== undefined) {
    throw new InvalidArgumentError(
      `'${lane}' is the callback lane of queue '${baseQueue(lane)}': name the queue itself (a worker takes its lane first).`,
    );
  }
  return names;
}
