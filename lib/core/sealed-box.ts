import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
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

interface BoxKey {
  id: string;
  /** Imported once: a raw key given to `createCipheriv` is imported again on every call. */
  key: KeyObject;
}

/**
 * Encrypts values at rest with AES-256-GCM: `v1.<key id>.<base64url(iv | ciphertext | tag)>`.
 * The key id lets a rotated secret (`previousSecrets`) still open older payloads. A
 * `context` given to `seal` (additional authenticated data, not stored) must be given to
 * `open` unchanged, or the payload does not open: it binds the secret part to the job's
 * plain fields. `seal`/`open` carry JSON; `sealBytes`/`openBytes` carry bytes as they are
 * (a stored request's binary frame, `sealed-request.ts`), in the same envelope.
 */
export class SealedBox {
  private readonly current: BoxKey;
  private readonly all: BoxKey[];

  constructor(keys: SecretKeys) {
    this.current = { id: keys.encryption.id, key: createSecretKey(keys.encryption.key) };
    this.all = [this.current, ...keys.previous.map(({ id, key }) => ({ id, key: createSecretKey(key) }))];
  }

  seal(value: unknown, context?: string): string {
    return this.sealBytes(Buffer.from(JSON.stringify(value), 'utf8'), context);
  }

  sealBytes(plain: Buffer, context?: string): string {
    const { id, key } = this.current;
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
    // One buffer for iv | ciphertext | tag: GCM's ciphertext is as long as the plaintext, and
    // `final()` adds nothing, so the ciphertext is copied in once.
    const packed = Buffer.allocUnsafe(IV_BYTES + plain.length + TAG_BYTES);
    iv.copy(packed, 0);
    cipher.update(plain).copy(packed, IV_BYTES);
    cipher.final();
    cipher.getAuthTag().copy(packed, IV_BYTES + plain.length);
    return `${VERSION}.${id}.${packed.toString('base64url')}`;
  }

  open<T>(sealed: string, context?: string): T {
    const plain = this.openBytes(sealed, context);
    try {
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      throw new SealedBoxError('stored payload does not hold JSON');
    }
  }

  openBytes(sealed: string, context?: string): Buffer {
    const [version, id, data] = sealed.split('.');
    if (version !== VERSION || !id || !data) throw new SealedBoxError('stored payload is not in a known format');
    const candidates = this.all.filter((k) => k.id === id);
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
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        // try the next key with the same id (a hash-prefix collision), then give up
      }
    }
    throw new SealedBoxError('stored payload failed authentication (tampered or wrong key)');
  }
}
