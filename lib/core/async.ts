/**
 * The few promise helpers the library needs in several places: a timeout race, an
 * abortable sleep and a promise settled from outside. Plain Node, no dependencies.
 */

/**
 * Settles as `work` does when it settles within `ms`; otherwise as `onTimeout` returns (or
 * throws) once `ms` have passed. The timer is cleared as soon as `work` settles. `work` itself
 * is not withdrawn: it may still finish later. With `unref`, the timer does not keep the
 * process alive.
 */
export async function withTimeout<T, U>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => U,
  options: { unref?: boolean } = {},
): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    if (options.unref) timer.unref();
  }).then(onTimeout);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A promise with its `resolve` at hand, for a result that another callback delivers. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
}

/** A new pending promise and the function that resolves it (`Promise.withResolvers` is Node 22+). */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
