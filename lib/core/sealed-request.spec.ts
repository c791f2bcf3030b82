import { describe, expect, it } from 'vitest';
import type { SealedRequest } from './job.js';
import { SealedBox, SealedBoxError } from './sealed-box.js';
import { openRequest, sealRequest } from './sealed-request.js';
import { deriveKeys } from './secret-keys.js';

const box = new SealedBox(deriveKeys('sealed-request-secret'));
const context = JSON.stringify([1, 'replay', 'c-1', 'PUT', '/user/1', 'https://hooks.example/cb', null]);

describe('sealRequest / openRequest', () => {
  const secret: SealedRequest = {
    headers: { authorization: 'Bearer s3cret', 'content-type': 'application/octet-stream' },
    // Not UTF-8: the frame must keep the bytes as they are.
    body: Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x7b, 0x22, 0x80]),
    callbackToken: 'token-0123456789',
    trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  };

  it('round-trips headers, token, trace and the body bytes, none of them in clear', () => {
    const sealed = sealRequest(box, secret, context);
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(sealed).not.toContain('s3cret');
    expect(sealed).not.toContain('token-0123456789');
    expect(openRequest(box, sealed, context)).toEqual(secret);
  });

  it('keeps an absent body apart from an empty one, and stores no trace when there is none', () => {
    const none = openRequest(box, sealRequest(box, { headers: {}, body: null, callbackToken: '' }, context), context);
    expect(none).toEqual({ headers: {}, body: null, callbackToken: '' });
    const empty = openRequest(
      box,
      sealRequest(box, { headers: {}, body: Buffer.alloc(0), callbackToken: '' }, context),
      context,
    );
    expect(empty.body).toEqual(Buffer.alloc(0));
  });

  it('encodes the body once: the sealed form grows by 4/3 of the body, not 16/9', () => {
    const small = sealRequest(box, { ...secret, body: Buffer.alloc(0) }, context);
    const large = sealRequest(box, { ...secret, body: Buffer.alloc(9_000, 7) }, context);
    expect(large.length - small.length).toBe(12_000);
  });

  it('opens a request sealed by earlier versions (JSON, body in base64)', () => {
    const legacy = box.seal({ ...secret, body: secret.body!.toString('base64') }, context);
    expect(openRequest(box, legacy, context)).toEqual(secret);
    const noBody = box.seal({ headers: {}, body: null, callbackToken: 't' }, context);
    expect(openRequest(box, noBody, context)).toEqual({ headers: {}, body: null, callbackToken: 't' });
  });

  it('refuses another binding, and a frame that is cut short, with a SealedBoxError', () => {
    const sealed = sealRequest(box, secret, context);
    expect(() => openRequest(box, sealed, context.replace('PUT', 'DELETE'))).toThrow(/failed authentication/);
    const cut = Buffer.from([0x01, 1, 0, 0, 0x10, 0, 0x7b]);
    expect(() => openRequest(box, box.sealBytes(cut, context), context)).toThrow(SealedBoxError);
    expect(() => openRequest(box, box.sealBytes(Buffer.from([0x01, 1]), context), context)).toThrow(/truncated/);
  });
});
