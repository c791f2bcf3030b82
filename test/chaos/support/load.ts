/** How the API answered one request the suite sent. */
export interface Answer {
  correlationId: string;
  path: string;
  /** The HTTP status, or 0 when no answer came (connection error, or no answer within the bound). */
  status: number;
  error?: string;
  sentAt: number;
  answeredAt: number;
}

/** Where a request's outcome goes. */
export interface CallbackTarget {
  url: string;
  token: string;
}

/**
 * Sends one queueable `PUT` to the API with callback parameters, and resolves to how it was
 * answered. Never rejects: a request not answered within `boundMs` is recorded as status 0.
 */
export async function sendQueued(
  apiUrl: string,
  path: string,
  correlationId: string,
  callback: CallbackTarget,
  boundMs: number,
): Promise<Answer> {
  const sentAt = Date.now();
  try {
    const res = await fetch(`${apiUrl}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
      body: JSON.stringify({ correlationId, _callback_url: callback.url, _callback_token: callback.token }),
      signal: AbortSignal.timeout(boundMs),
    });
    await res.arrayBuffer();
    return { correlationId, path, status: res.status, sentAt, answeredAt: Date.now() };
  } catch (err) {
    return { correlationId, path, status: 0, error: (err as Error).message, sentAt, answeredAt: Date.now() };
  }
}

/** Runs `send(i)` for i in 0..count-1, `concurrency` at a time, and resolves to the answers in order. */
export async function sendAll<T>(count: number, concurrency: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await send(i);
      }
    }),
  );
  return out;
}

/**
 * `clients` loops, each sending one request after the other (a `pauseMs` apart) until `done()`
 * says stop or `maxRequests` were sent in all; resolves to every answer.
 */
export async function sendUntil(
  done: () => boolean,
  clients: number,
  pauseMs: number,
  maxRequests: number,
  send: (i: number) => Promise<Answer>,
): Promise<Answer[]> {
  const out: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!done() && next < maxRequests) {
        out.push(await send(next++));
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }),
  );
  return out;
}

/** A small seeded random source (mulberry32), so a run's kill plan can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `CHAOS_SEED` when set (to replay a run), else a random one. */
export function chaosSeed(): number {
  const given = process.env.CHAOS_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}
