import { describe, expect, it } from 'vitest';
import { deferred, sleep, withTimeout } from './async.js';

describe('withTimeout', () => {
  it('settles as the work does when the work is first', async () => {
    await expect(withTimeout(Promise.resolve('done'), 1_000, () => 'late')).resolves.toBe('done');
    const failure = new Error('broken');
    await expect(withTimeout(Promise.reject(failure), 1_000, () => 'late')).rejects.toBe(failure);
  });

  it('settles as onTimeout says when the time is up first', async () => {
    const never = new Promise<string>(() => {});
    await expect(withTimeout(never, 5, () => 'late')).resolves.toBe('late');
    await expect(
      withTimeout(never, 5, () => {
        throw new Error('no answer within 5 ms');
      }),
    ).rejects.toThrow('no answer within 5 ms');
  });

  it('does not call onTimeout once the work has settled', async () => {
    let calls = 0;
    await withTimeout(Promise.resolve(1), 5, () => calls++);
    await sleep(20);
    expect(calls).toBe(0);
  });
});

describe('sleep', () => {
  it('resolves after the time', async () => {
    const order: string[] = [];
    const slept = sleep(5).then(() => order.push('slept'));
    order.push('sync');
    await slept;
    expect(order).toEqual(['sync', 'slept']);
  });

  it('resolves at once when the signal aborts, or was aborted already', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
    await expect(sleep(60_000, controller.signal)).resolves.toBeUndefined();
  });
});

describe('deferred', () => {
  it('resolves its promise from outside', async () => {
    const { promise, resolve } = deferred<number>();
    resolve(7);
    await expect(promise).resolves.toBe(7);
  });
});
