/** How long and how often `waitFor` checks. */
export interface WaitOptions {
  /** Give up after this long, ms [10 s]. */
  timeoutMs?: number;
  /** Pause between two checks, ms [50]. */
  intervalMs?: number;
  /** More to say when it times out (a process's output, what was seen instead). */
  detail?: () => string;
}

/** What a check answers while the awaited thing has not happened yet. */
type NotYet = undefined | null | false;

/**
 * The one polling helper of the tests. Calls `check` until it gives a value other than
 * `undefined`, `null` or `false` (or a promise of one) and resolves to that value. Bounded
 * in time (`timeoutMs`) and in count (`timeoutMs / intervalMs` checks, plus one): a slow
 * check cannot make it poll forever, a fast one cannot spin. When it gives up, the error
 * names `what` it waited for. A check that throws ends the wait with that error at once
 * (a process that died, say): nothing is retried behind the test's back.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | NotYet | Promise<T | NotYet>,
  { timeoutMs = 10_000, intervalMs = 50, detail }: WaitOptions = {},
): Promise<T> {
  if (!(timeoutMs > 0) || !(intervalMs > 0)) {
    throw new Error(`waitFor(${what}): timeoutMs and intervalMs must be above 0 (got ${timeoutMs}, ${intervalMs})`);
  }
  const deadline = Date.now() + timeoutMs;
  const maxChecks = Math.ceil(timeoutMs / intervalMs) + 1;
  let checks = 0;
  for (;;) {
    checks++;
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (checks >= maxChecks || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const more = detail ? `\n${detail()}` : '';
  throw new Error(`timed out after ${timeoutMs} ms (${checks} checks) waiting for ${what}${more}`);
}
