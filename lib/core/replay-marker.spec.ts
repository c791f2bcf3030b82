import { describe, expect, it } from 'vitest';
import { signReplayMarker, verifyReplayMarker } from './replay-marker.js';
import { deriveKeys } from './secret-keys.js';

describe('replay marker', () => {
  const key = deriveKeys('s').marker;
  const now = 1_700_000_000_000;

  it('verifies a marker for the same request', () => {
    const m = signReplayMarker(key, 'id-1', 'PUT', '/user/1?a=1', now);
    expect(verifyReplayMarker(key, m, 'id-1', 'PUT', '/user/1?a=1', now + 1000)).toBe(true);
  });

  it('refuses another request, another key, an old marker, or garbage', () => {
    const m = signReplayMarker(key, 'id-1', 'PUT', '/user/1', now);
    expect(verifyReplayMarker(key, m, 'id-2', 'PUT', '/user/1', now)).toBe(false);
    expect(verifyReplayMarker(key, m, 'id-1', 'DELETE', '/user/1', now)).toBe(false);
    expect(verifyReplayMarker(key, m, 'id-1', 'PUT', '/user/2', now)).toBe(false);
    expect(verifyReplayMarker(deriveKeys('other').marker, m, 'id-1', 'PUT', '/user/1', now)).toBe(false);
    expect(verifyReplayMarker(key, m, 'id-1', 'PUT', '/user/1', now + 11 * 60_000)).toBe(false);
    expect(verifyReplayMarker(key, '1', 'id-1', 'PUT', '/user/1', now)).toBe(false);
    expect(verifyReplayMarker(key, `${now}.AAAA`, 'id-1', 'PUT', '/user/1', now)).toBe(false);
  });
});
