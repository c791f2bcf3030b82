/**
 * How a job source waits while it has nothing to do: until a timeout, an abort, or a
 * `wakeAll()` (a job was stored in this process, or the backend announced one).
 */
export class IdleWaiter {
  private readonly wakers = new Set<() => void>();

  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}
