/**
 * How a job source waits while it has nothing to do: until a timeout, an abort, or a
 * `wakeAll()` (a job was stored in this process, or the backend announced one).
 *
 * A wake that comes while nobody waits is kept for the next `wait`, which then returns at
 * once: the announcement of a job can arrive while the loop is still looking (its look
 * found nothing, the job came a moment later), and would otherwise be lost, leaving the
 * job to the end of the idle wait. At worst that costs one more look.
 */
export class IdleWaiter {
  private readonly wakers = new Set<() => void>();
  private missed = false;

  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    if (this.missed) {
      this.missed = false;
      return Promise.resolve();
    }
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
    if (this.wakers.size === 0) this.missed = true;
    for (const wake of [...this.wakers]) wake();
  }
}
