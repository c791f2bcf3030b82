import { describe, expect, it } from 'vitest';
import { prefersRespondAsync } from './request-gate.js';
import { deriveKeys } from './secret-keys.js';
import { StatusLinks, type RequestFingerprintParts } from './status-links.js';

const links = (secret: string, previous: string[] = []) =>
  new StatusLinks(deriveKeys(secret, previous).status, '/request-queue/requests');

const request: RequestFingerprintParts = {
  method: 'PUT',
  path: '/user/1?x=1',
  body: Buffer.from('{"name":"Ada"}'),
  callbackUrl: 'https://example.com/cb',
  callbackToken: 'token-0123456789abcdef',
};

describe('StatusLinks', () => {
  it('gives each id one stable URL whose capability only the secret can make', () => {
    const a = links('secret-a');
    const url = a.url('demo-1');
    expect(url).toMatch(/^\/request-queue\/requests\/demo-1\?sig=[A-Za-z0-9_-]{32}$/);
    expect(a.url('demo-1')).toBe(url);
    expect(a.url('demo-2')).not.toBe(url);
    expect(links('secret-b').url('demo-1')).not.toBe(url);
    expect(a.url('a/b c')).toMatch(/^\/request-queue\/requests\/a%2Fb%20c\?sig=/);
  });

  it('verifies its own capability and refuses tampered, foreign, missing and odd ones', () => {
    const a = links('secret-a');
    const cap = a.capability('demo-1');
    expect(a.verify('demo-1', cap)).toBe(true);
    expect(a.verify('demo-2', cap)).toBe(false);
    expect(a.verify('demo-1', a.capability('demo-2'))).toBe(false);
    const flipped = `${cap.slice(0, -1)}${cap.endsWith('A') ? 'B' : 'A'}`;
    expect(a.verify('demo-1', flipped)).toBe(false);
    expect(a.verify('demo-1', undefined)).toBe(false);
    expect(a.verify('demo-1', ['x'])).toBe(false);
    expect(a.verify('demo-1', cap.slice(1))).toBe(false);
    expect(a.verify('demo-1', `${cap}x`)).toBe(false);
    expect(a.verify('demo-1', 'é'.repeat(32))).toBe(false);
  });

  it('keeps links made before a secret rotation working', () => {
    const before = links('old-secret');
    const after = links('new-secret', ['old-secret']);
    expect(after.verify('demo-1', before.capability('demo-1'))).toBe(true);
    expect(after.url('demo-1')).not.toBe(before.url('demo-1'));
    expect(links('new-secret').verify('demo-1', before.capability('demo-1'))).toBe(false);
  });

  it('fingerprints a request by method, path, body and callback, keyed by the secret', () => {
    const a = links('secret-a');
    const fp = a.fingerprint(request);
    expect(fp).toMatch(/^v1\./);
    expect(fp).not.toContain('Ada');
    expect(a.sameRequest(fp, { ...request, body: Buffer.from('{"name":"Ada"}') })).toBe(true);
    for (const change of [
      { method: 'PATCH' },
      { path: '/user/2?x=1' },
      { body: Buffer.from('{"name":"Bob"}') },
      { body: null },
      { callbackUrl: 'https://example.com/other' },
      { callbackToken: 'token-0123456789abcdeX' },
    ]) {
      expect(a.sameRequest(fp, { ...request, ...change })).toBe(false);
    }
    expect(links('secret-b').fingerprint(request)).not.toBe(fp);
    expect(links('new', ['secret-a']).sameRequest(fp, request)).toBe(true);
  });
});

describe('prefersRespondAsync', () => {
  it('finds the respond-async preference among others, in any case', () => {
    expect(prefersRespondAsync('respond-async')).toBe(true);
    expect(prefersRespondAsync('Respond-Async, wait=10')).toBe(true);
    expect(prefersRespondAsync('return=minimal; foo="x", respond-async')).toBe(true);
    expect(prefersRespondAsync(['handling=lenient', 'respond-async'])).toBe(true);
    expect(prefersRespondAsync(undefined)).toBe(false);
    expect(prefersRespondAsync('return=representation')).toBe(false);
    expect(prefersRespondAsync('respond-asynchronously')).toBe(false);
  });
});
