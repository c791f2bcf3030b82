import { describe, expect, it } from 'vitest';
import type { CapturedRequest } from './request-capture.js';
import { checkQueuedRequest } from './request-limits.js';

const LIMITS = { maxBodyBytes: 10, maxHeaderBytes: 40 };
const captured = (body: Buffer | null, headers: Record<string, string> = {}): CapturedRequest => ({
  method: 'PUT',
  path: '/x',
  headers,
  body,
});

describe('checkQueuedRequest', () => {
  it('lets a request within the limits through', () => {
    expect(checkQueuedRequest({}, captured(Buffer.from('0123456789'), { accept: 'a' }), LIMITS)).toBeNull();
    expect(checkQueuedRequest({ 'content-length': '0' }, captured(null), LIMITS)).toBeNull();
    expect(checkQueuedRequest({}, captured(null), LIMITS)).toBeNull();
  });

  it('refuses a body over maxBodyBytes (413, body)', () => {
    expect(checkQueuedRequest({}, captured(Buffer.alloc(11)), LIMITS)).toMatchObject({
      reason: 'body-too-large',
      field: 'body',
    });
  });

  it('refuses stored headers over maxHeaderBytes, counting "name: value\\r\\n" (431, headers)', () => {
    // 'x-a' (3) + 33 + 4 = 40: at the limit; one more byte is over.
    expect(checkQueuedRequest({}, captured(null, { 'x-a': 'v'.repeat(33) }), LIMITS)).toBeNull();
    expect(checkQueuedRequest({}, captured(null, { 'x-a': 'v'.repeat(34) }), LIMITS)).toMatchObject({
      reason: 'headers-too-large',
      field: 'headers',
    });
  });

  it('refuses a declared body the adapter did not hand over (415, content-type)', () => {
    for (const headers of [
      { 'content-length': '5', 'content-type': 'text/plain' },
      { 'transfer-encoding': 'chunked' },
    ]) {
      expect(checkQueuedRequest(headers, captured(null), LIMITS)).toMatchObject({
        reason: 'unsupported-media-type',
        field: 'content-type',
      });
    }
  });
});
