/** What came back from one replay attempt. */
export type ReplayResult =
  | { type: 'response'; status: number; headers: Record<string, string>; body: unknown }
  | { type: 'error'; error: string };

/**
 * README "Worker and outcome": an answer of 2xx, 3xx or 4xx is final (the app decided); 5xx, 408, 429, a
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

/** The error of a job failed because its workers died running it (lost leases), as its outcome and `request-queue failed` say it. */
export function workerDiedError(times: number): string {
  return `worker died ${times} time${times === 1 ? '' : 's'} while running it (its lease expired each time)`;
}
