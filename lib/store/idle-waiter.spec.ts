import { describe, expect, it } from 'vitest';
import { IdleWaiter } from './idle-waiter.js';

const HOUR = 3_600_000;
const settled = (p: Promise<void>) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(r, 50, false))]);

describe('IdleWaiter', () => {
  it('wakes every waiter', async () => {
    const waiter = new IdleWaiter();
    const signal = new AbortController().signal;
    const waits = [waiter.wait(HOUR, signal), waiter.wait(HOUR, signal)];
    waiter.wakeAll();
    await expect(Promise.all(waits)).resolves.toEqual([undefined, undefined]);
  });

  it('keeps a wake that came while nobody waited for the next wait only', async () => {
    const waiter = new IdleWaiter();
    const signal = new AbortController().signal;
    waiter.wakeAll(); // the job was announced while the loop was still looking
    expect(await settled(waiter.wait(HOUR, signal))).toBe(true);
    const next = waiter.wait(HOUR, signal);
    expect(await settled(next)).toBe(false); // used up: the next wait waits
    waiter.wakeAll();
    expect(await settled(next)).toBe(true);
  });

  it('ends on abort and on its timeout', async () => {
    const waiter = new IdleWaiter();
    const stop = new AbortController();
    const wait = waiter.wait(HOUR, stop.signal);
    stop.abort();
    expect(await settled(wait)).toBe(true);
    expect(await settled(waiter.wait(1, new AbortController().signal))).toBe(true);
  });
});
