import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Outcome } from '../core/job.js';

/** The body of a callback: the outcome of one queued request (README "Worker and outcome"). */
export type CallbackPayload = Outcome;

/** A callback whose signature and timestamp checked out. */
export interface VerifiedCallback {
  /** `webhook-id`: the same on every retry of one delivery; use it to drop duplicates. */
  webhookId: string;
  /** `webhook-timestamp`, when this attempt was signed. */
  timestamp: Date;
  payload: CallbackPayload;
}

export interface VerifyCallbackOptions {
  /** How far `webhook-timestamp` may be from now, in seconds, either way [300]. */
  toleranceSec?: number;
  /** The current time, unix ms [`Date.now()`] (for tests). */
  now?: number;
}

export type CallbackVerificationFailure =
  'missing-header' | 'bad-timestamp' | 'stale-timestamp' | 'bad-signature' | 'bad-body';

/** The callback did not verify; `reason` says which check failed. Answer it with 401 (or 400). */
export class CallbackVerificationError extends Error {
  override readonly name = 'CallbackVerificationError';
  constructor(
    readonly reason: CallbackVerificationFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Header lookup on a Node/Express/Fastify header object or a fetch `Headers`. */
export type CallbackHeaders = Record<string, string | string[] | undefined> | { get(name: string): string | null };

export const DEFAULT_TOLERANCE_SEC = 300;

function header(headers: CallbackHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  return Array.isArray(value) ? value.join(' ') : value;
}

function required(headers: CallbackHeaders, name: string): string {
  const value = header(headers, name);
  if (!value) throw new CallbackVerificationError('missing-header', `the ${name} header is missing`);
  return value;
}

/** True when one of the `v1,<base64>` entries is the expected MAC (compared in constant time). */
function matches(signatures: string, expected: Buffer): boolean {
  let found = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    // No early exit: every entry costs the same whether an earlier one matched or not.
    if (given.length === expected.length && timingSafeEqual(given, expected)) found = true;
  }
  return found;
}

/**
 * Verifies a callback the way Standard Webhooks prescribes, with the `_callback_token` the
 * request was queued with as the key (its UTF-8 bytes): the `webhook-signature` must be an
 * HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>`, and the timestamp within
 * `toleranceSec` of now, so an old callback replayed later is refused. Pass several tokens
 * to accept any of them (e.g. while rotating). Pass the body exactly as received: parsing
 * and re-serialising it may change the bytes.
 *
 * Returns the parsed callback; throws `CallbackVerificationError` when anything is off.
 */
export function verifyCallback(
  token: string | readonly string[],
  rawBody: string | Uint8Array,
  headers: CallbackHeaders,
  options: VerifyCallbackOptions = {},
): VerifiedCallback {
  const webhookId = required(headers, 'webhook-id');
  const ts = required(headers, 'webhook-timestamp');
  const signatures = required(headers, 'webhook-signature');
  if (!/^\d{1,12}$/.test(ts))
    throw new CallbackVerificationError('bad-timestamp', 'the webhook-timestamp header is not a unix time in seconds');
  const seconds = Number(ts);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (Math.abs(now - seconds) > tolerance) {
    throw new CallbackVerificationError(
      'stale-timestamp',
      `the webhook-timestamp is more than ${tolerance} s from now (replayed or clock skew)`,
    );
  }
  const body =
    typeof rawBody === 'string'
      ? Buffer.from(rawBody, 'utf8')
      : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const tokens = typeof token === 'string' ? [token] : token;
  let ok = false;
  for (const candidate of tokens) {
    if (!candidate) continue;
    const expected = createHmac('sha256', Buffer.from(candidate, 'utf8'))
      .update(`${webhookId}.${ts}.`)
      .update(body)
      .digest();
    if (matches(signatures, expected)) ok = true;
  }
  if (!ok) throw new CallbackVerificationError('bad-signature', 'the webhook-signature does not match');
  let payload: CallbackPayload;
  try {
    payload = JSON.parse(body.toString('utf8')) as CallbackPayload;
  } catch {
    throw new CallbackVerificationError('bad-body', 'the callback body is not JSON');
  }
  return { webhookId, timestamp: new Date(seconds * 1000), payload };
}
