/** How long to wait before retry number `attempt` (1 = the first retry). */
export interface BackoffOptions {
  type: 'fixed' | 'exponential';
  /** Milliseconds: the fixed delay, or the first delay of the exponential series. */
  delay: number;
}

export function backoffDelay(backoff: BackoffOptions, attempt: number): number {
  if (backoff.type === 'fixed') return backoff.delay;
  return backoff.delay * 2 ** Math.max(0, attempt - 1);
}

/** Delay before delivery retry number `attempt` (1-based) on a schedule, or null when it ran out. */
export function scheduleDelay(schedule: readonly number[], attempt: number): number | null {
  return attempt >= 1 && attempt <= schedule.length ? schedule[attempt - 1]! : null;
}
