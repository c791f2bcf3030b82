import { sleep } from '../core/async.js';

/**
 * How a job source waits while it has nothing to do: until a timeout, an abort, or a
 * `wakeAll()` (a job was stored in this process, or the backend announced one).
 */
export class IdleWaiter {
  private readonly wakers = new Set<() => void>();

  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.wakers.add(wake);
    signal.addEventListener('abort', wake, { once: true });
    return sleep(ms, woken.signal).finally(() => {
      this.wakers.delete(wake);
      signal.removeEventListener('abort', wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}
