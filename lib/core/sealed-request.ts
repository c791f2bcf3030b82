import type { SealedRequest } from './job.js';
import { SealedBoxError, type SealedBox } from './sealed-box.js';

/**
 * A replay job's secret half in its sealed box, as a binary frame, so that the body's bytes
 * are encoded once (by the box's base64url) and not first as base64 inside JSON:
 *
 *     0x01 | has body (0/1) | uint32 BE length of the JSON | JSON {headers, callbackToken, trace?} | body bytes
 *
 * A JSON document never starts with byte 0x01, so jobs sealed before the frame (JSON with a
 * base64 `body`, still queued when an app upgrades) open as they are.
 */
const FRAME = 0x01;
const HEAD_BYTES = 6;

export function sealRequest(box: SealedBox, secret: SealedRequest, context: string): string {
  const meta = JSON.stringify(
    secret.trace
      ? { headers: secret.headers, callbackToken: secret.callbackToken, trace: secret.trace }
      : { headers: secret.headers, callbackToken: secret.callbackToken },
  );
  const metaBytes = Buffer.byteLength(meta, 'utf8');
  const frame = Buffer.allocUnsafe(HEAD_BYTES + metaBytes + (secret.body?.length ?? 0));
  frame[0] = FRAME;
  frame[1] = secret.body === null ? 0 : 1;
  frame.writeUInt32BE(metaBytes, 2);
  frame.write(meta, HEAD_BYTES, 'utf8');
  secret.body?.copy(frame, HEAD_BYTES + metaBytes);
  return box.sealBytes(frame, context);
}

/** Opens a replay job's secret half, in the frame or in the JSON of earlier versions. */
export function openRequest(box: SealedBox, sealed: string, context: string): SealedRequest {
  const plain = box.openBytes(sealed, context);
  if (plain[0] !== FRAME) return fromJson(plain);
  if (plain.length < HEAD_BYTES) throw new SealedBoxError('stored request is truncated');
  const metaEnd = HEAD_BYTES + plain.readUInt32BE(2);
  if (metaEnd > plain.length) throw new SealedBoxError('stored request is truncated');
  const meta = parse<Omit<SealedRequest, 'body'>>(plain.subarray(HEAD_BYTES, metaEnd));
  return { ...meta, body: plain[1] === 0 ? null : plain.subarray(metaEnd) };
}

/** Earlier versions: JSON, the body base64-encoded. */
function fromJson(plain: Buffer): SealedRequest {
  const stored = parse<Omit<SealedRequest, 'body'> & { body: string | null }>(plain);
  return { ...stored, body: stored.body === null ? null : Buffer.from(stored.body, 'base64') };
}

function parse<T>(bytes: Buffer): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new SealedBoxError('stored request does not hold JSON');
  }
}
