import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../request-queue.options.js';
import { workerOptionsFrom } from './work.command.js';

describe('workerOptionsFrom: the grace period of `request-queue work`', () => {
  it('is the module grace period without --timeout', () => {
    const options = resolveOptions({ timeout: 5_000, callback: { timeout: 15_000 } });
    expect(workerOptionsFrom({}, options).gracePeriod).toBe(options.worker.gracePeriod);
    expect(options.worker.gracePeriod).toBe(20_000);
  });

  it('is what --timeout gets by default with it: the longer attempt plus 5 s', () => {
    const options = resolveOptions({ timeout: 5_000, callback: { timeout: 15_000 } });
    expect(workerOptionsFrom({ timeout: 60_000 }, options).gracePeriod).toBe(65_000);
    expect(workerOptionsFrom({ timeout: 1_000 }, options).gracePeriod).toBe(20_000);
  });
});
