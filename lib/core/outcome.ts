/** What came back from one replay attempt. */
export type ReplayResult =
  | { type: 'response'; status: number; headers: Record<string, string>; body: unknown }
  | { type: 'error'; error: string };

/**
 * SPEC §4: an answer of 2xx, 3xx or 4xx is final (the app decided); 5xx, 408, 429, a
 * timeout or a connection error may go away, so the replay is retried.
 */
export function isRetryable(result: ReplayResult): boolean {
  if (result.type === 'error') return true;
  return result.status >= 500 || result.status === 408 || result.status === 429;
}

/** One line describing why an attempt did not give a final answer. */
export function describeFailure(result: ReplayResult): string {
  return result.type === 'error' ? result.error : `replay answered ${result.status}`;
}
