import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretKeys } from './secret-keys.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** IVs are drawn from a pooled CSPRNG buffer: one `randomBytes` call serves 512 seals. */
let ivPool = Buffer.alloc(0);
let ivOffset = 0;
function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_BYTES * 512);
    ivOffset = 0;
  }
  ivOffset += IV_BYTES;
  return ivPool.subarray(ivOffset - IV_BYTES, ivOffset);
}

/** A stored payload that cannot be opened: tampered, truncated, or sealed with an unknown key. */
export class SealedBoxError extends Error {
  override readonly name = 'SealedBoxError';
}

/**
 * Encrypts values at rest with AES-256-GCM: `v1.<key id>.<base64url(iv | ciphertext | tag)>`.
 * The key id lets a rotated secret (`previousSecrets`) still open older payloads. A
 * `context` given to `seal` (additional authenticated data, not stored) must be given to
 * `open` unchanged, or the payload does not open: it binds the secret part to the job's
 * plain fields.
 */
export class SealedBox {
  constructor(private readonly keys: SecretKeys) {}

  seal(value: unknown, context?: string): string {
    const { id, key } = this.keys.encryption;
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const packed = Buffer.concat([iv, body, cipher.getAuthTag()]);
    return `${VERSION}.${id}.${packed.toString('base64url')}`;
  }

  open<T>(sealed: string, context?: string): T {
    const [version, id, data] = sealed.split('.');
    if (version !== VERSION || !id || !data) throw new SealedBoxError('stored payload is not in a known format');
    const candidates = [this.keys.encryption, ...this.keys.previous].filter((k) => k.id === id);
    if (candidates.length === 0) {
      throw new SealedBoxError(`stored payload was sealed with an unknown key (${id})`);
    }
    const packed = Buffer.from(data, 'base64url');
    if (packed.length < IV_BYTES + TAG_BYTES) throw new SealedBoxError('stored payload is truncated');
    const iv = packed.subarray(0, IV_BYTES);
    const tag = packed.subarray(packed.length - TAG_BYTES);
    const body = packed.subarray(IV_BYTES, packed.length - TAG_BYTES);
    for (const { key } of candidates) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAuthTag(tag);
        if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
        const plain = Buffer.concat([decipher.update(body), decipher.final()]);
        return JSON.parse(plain.toString('utf8')) as T;
      } catch {
        // try the next key with the same id (a hash-prefix collision), then give up
      }
    }
    throw new SealedBoxError('stored payload failed authentication (tampered or wrong key)');
  }
}
