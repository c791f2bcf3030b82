import { createHmac, timingSafeEqual } from 'node:crypto';

/** Characters of a capability: 32 base64url characters, 192 bits of an HMAC-SHA256. */
const CAPABILITY_LENGTH = 32;

/** The query parameter of a status URL that carries its capability. */
export const CAPABILITY_PARAM = 'sig';

/** What a request's fingerprint is made of (README "Where is my request?", Idempotency-Key mode). */
export interface RequestFingerprintParts {
  method: string;
  /** Path and query, callback parameters removed. */
  path: string;
  /** The stored body bytes, or null. */
  body: Buffer | null;
  callbackUrl: string;
  callbackToken: string;
}

/**
 * Capability URLs for status resources, and keyed request fingerprints. A capability is an
 * HMAC of the correlation id under a key derived from the module's secret: it cannot be
 * guessed or derived from the id (ids are often guessable), and it needs no storage, so the
 * same request always gets the same `Location`. Fingerprints are keyed too, so what is
 * stored reveals nothing about the body it was computed from.
 */
export class StatusLinks {
  /**
   * @param keys the status keys, current first (`SecretKeys.status`)
   * @param basePath where the status resources live, e.g. `/request-queue/requests`
   */
  constructor(
    private readonly keys: readonly Buffer[],
    readonly basePath: string,
  ) {}

  /** The status resource of `correlationId`: `<basePath>/<id>?sig=<capability>`. */
  url(correlationId: string): string {
    return `${this.basePath}/${encodeURIComponent(correlationId)}?${CAPABILITY_PARAM}=${this.capability(correlationId)}`;
  }

  capability(correlationId: string, key: Buffer = this.keys[0]!): string {
    return mac(key, 'capability', correlationId).slice(0, CAPABILITY_LENGTH);
  }

  /**
   * Whether `given` is a capability of `correlationId` under the current key or a previous
   * one. Compares in constant time, and always against every key.
   */
  verify(correlationId: string, given: unknown): boolean {
    const presented = Buffer.alloc(CAPABILITY_LENGTH);
    const ok = typeof given === 'string' && given.length === CAPABILITY_LENGTH;
    if (ok) presented.write(given, 'latin1');
    let match = false;
    for (const key of this.keys) {
      const expected = Buffer.from(this.capability(correlationId, key), 'latin1');
      if (timingSafeEqual(expected, presented)) match = true;
    }
    return ok && match;
  }

  /** The fingerprint of a request, under the current key. */
  fingerprint(parts: RequestFingerprintParts): string {
    return fingerprintWith(this.keys[0]!, parts);
  }

  /** Whether a stored fingerprint is that of `parts` (under the current or a previous key). */
  sameRequest(stored: string, parts: RequestFingerprintParts): boolean {
    return this.keys.some((key) => fingerprintWith(key, parts) === stored);
  }
}

function fingerprintWith(key: Buffer, p: RequestFingerprintParts): string {
  const body = p.body === null ? '-' : p.body.toString('base64');
  return `v1.${mac(key, 'fingerprint', JSON.stringify([p.method, p.path, body, p.callbackUrl, p.callbackToken]))}`;
}

function mac(key: Buffer, purpose: string, value: string): string {
  return createHmac('sha256', key).update(`${purpose}\n${value}`).digest('base64url');
}
