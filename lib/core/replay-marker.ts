import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that tells the interceptor a request is the worker's replay. */
export const REPLAY_MARKER_HEADER = 'x-request-queue-replay';

/** How far a marker's timestamp may be from now. */
const MAX_SKEW_MS = 10 * 60 * 1000;

function mac(key: Buffer, ts: string, correlationId: string, method: string, path: string): Buffer {
  return createHmac('sha256', key).update(`${ts}\n${correlationId}\n${method}\n${path}`).digest();
}

/**
 * Signs a replay: `<unix ms>.<base64url HMAC-SHA256>` over the timestamp, correlation id,
 * method and path with query. Only a holder of `secret` can make one.
 */
export function signReplayMarker(
  key: Buffer,
  correlationId: string,
  method: string,
  path: string,
  now = Date.now(),
): string {
  const ts = String(now);
  return `${ts}.${mac(key, ts, correlationId, method, path).toString('base64url')}`;
}

/** True only for a marker made by `signReplayMarker` for this very request, recently. */
export function verifyReplayMarker(
  key: Buffer,
  marker: string,
  correlationId: string,
  method: string,
  path: string,
  now = Date.now(),
): boolean {
  const dot = marker.indexOf('.');
  if (dot <= 0) return false;
  const ts = marker.slice(0, dot);
  const when = Number(ts);
  if (!Number.isSafeInteger(when) || Math.abs(now - when) > MAX_SKEW_MS) return false;
  const given = Buffer.from(marker.slice(dot + 1), 'base64url');
  const expected = mac(key, ts, correlationId, method, path);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
