import { createHash, hkdfSync } from 'node:crypto';

/** Used when no `secret` is configured outside production; never safe to expose. */
export const DEVELOPMENT_SECRET = 'request-queue-insecure-development-secret';

export interface SecretKeys {
  /** AES-256-GCM key for stored requests, and its short id (first bytes of its hash). */
  encryption: { id: string; key: Buffer };
  /** Older encryption keys, still accepted when opening stored requests. */
  previous: { id: string; key: Buffer }[];
  /** HMAC-SHA256 key for the internal replay marker. */
  marker: Buffer;
  /**
   * HMAC-SHA256 keys for status resources (capabilities and request fingerprints): the
   * current one first, then those of `previousSecrets`, so links handed out before a
   * rotation keep working.
   */
  status: Buffer[];
}

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'nestjs-request-queue', purpose, 32));
}

function encryptionKey(secret: string): { id: string; key: Buffer } {
  const key = derive(secret, 'payload-encryption');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

/** Derives separate keys for each purpose from `secret` (HKDF-SHA256). */
export function deriveKeys(secret: string, previousSecrets: readonly string[] = []): SecretKeys {
  return {
    encryption: encryptionKey(secret),
    previous: previousSecrets.map(encryptionKey),
    marker: derive(secret, 'replay-marker'),
    status: [secret, ...previousSecrets].map((s) => derive(s, 'request-status')),
  };
}
