import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('resolves to the first value that is not undefined, null or false (0 and "" count)', async () => {
    const answers: unknown[] = [undefined, null, false, 0];
    expect(await waitFor('a zero', () => answers.shift(), { intervalMs: 1 })).toBe(0);
    expect(await waitFor('an empty string', async () => '', { intervalMs: 1 })).toBe('');
  });

  it('gives up after timeoutMs / intervalMs checks at most, naming what it waited for', async () => {
    let checks = 0;
    const error = await waitFor(
      'the moon',
      () => {
        checks++;
        return false;
      },
      { timeoutMs: 50, intervalMs: 10, detail: () => 'saw only clouds' },
    ).catch((err: Error) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^timed out after 50 ms \(\d+ checks\) waiting for the moon\nsaw only clouds$/,
    );
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(checks).toBeLessThanOrEqual(6);
  });

  it('ends at once with the error of a check that throws', async () => {
    let checks = 0;
    await expect(
      waitFor('a process', () => {
        checks++;
        throw new Error('the process exited');
      }),
    ).rejects.toThrow('the process exited');
    expect(checks).toBe(1);
  });

  it('refuses a timeout or interval that is not above 0', async () => {
    await expect(waitFor('x', () => true, { timeoutMs: 0 })).rejects.toThrow(/must be above 0/);
    await expect(waitFor('x', () => true, { intervalMs: Number.NaN })).rejects.toThrow(/must be above 0/);
  });
});
