import { describe, expect, it } from 'vitest';
import { ADAPTERS, type AdapterName } from './support/security-app.js';
import type { Outgoing } from './support/send.js';
import { useSecurityApp } from './support/use-security-app.js';
import { storeMatrix } from '../support/stores.js';

/**
 * README "HTTP contract", docs/security.md and issue 5: every bad input gets its documented 4xx with a message (naming
 * the field where the library answers), never a 500, and leaves nothing in the store: no
 * job, no claimed correlation id. Run through a real Nest app on both adapters and every
 * available store.
 */

const URL_OK = 'https://hooks.example.com/cb';
const TOKEN = 'matrix-token-0123456789abcdef';
const LIMITS = { maxBodyBytes: 32 * 1024, maxHeaderBytes: 4 * 1024 };

interface Expect {
  status: number;
  /** Substring or pattern of the JSON `message`; null when the answer has no JSON body. */
  message: string | RegExp | null;
  field?: string;
}

interface Row {
  name: string;
  req: Outgoing;
  expect: Expect | Record<AdapterName, Expect>;
}

const cbQuery = (url = URL_OK, token = TOKEN) =>
  `_callback_url=${encodeURIComponent(url)}&_callback_token=${encodeURIComponent(token)}`;

function json(fields: unknown, headers: Record<string, string> = {}, method = 'PUT'): Outgoing {
  return {
    method,
    path: '/items/1',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(fields),
  };
}

const badUrl = (url: string, message: string, name = url): Row => ({
  name: `_callback_url ${name}`,
  req: json({ name: 'x', _callback_url: url, _callback_token: TOKEN }),
  expect: { status: 422, message, field: '_callback_url' },
});

const badToken = (token: unknown, message: string, name: string): Row => ({
  name: `_callback_token ${name}`,
  req: json({ _callback_url: URL_OK, _callback_token: token }),
  expect: { status: 422, message, field: '_callback_token' },
});

const badId = (id: string, message: string, name: string): Row => ({
  name: `X-Correlation-ID ${name}`,
  req: json({ _callback_url: URL_OK, _callback_token: TOKEN }, { 'x-correlation-id': id }),
  expect: { status: 400, message },
});

const PRIVATE = 'private or reserved address';

export const MATRIX: Row[] = [
  // Addresses: loopback, private, link-local, CGNAT, multicast, unspecified, IPv6 and mapped forms, odd spellings.
  badUrl('http://127.0.0.1/cb', `${PRIVATE} (127.0.0.1)`),
  badUrl('http://2130706433/cb', `${PRIVATE} (127.0.0.1)`),
  badUrl('http://0x7f000001/cb', `${PRIVATE} (127.0.0.1)`),
  badUrl('http://0177.0.0.1/cb', `${PRIVATE} (127.0.0.1)`),
  badUrl('http://127.1/cb', `${PRIVATE} (127.0.0.1)`),
  badUrl('http://10.0.0.1/cb', `${PRIVATE} (10.0.0.1)`),
  badUrl('http://172.16.5.4/cb', `${PRIVATE} (172.16.5.4)`),
  badUrl('http://192.168.0.10/cb', `${PRIVATE} (192.168.0.10)`),
  badUrl('http://169.254.169.254/latest/meta-data/', `${PRIVATE} (169.254.169.254)`),
  badUrl('http://100.64.0.1/cb', `${PRIVATE} (100.64.0.1)`),
  badUrl('http://224.0.0.1/cb', `${PRIVATE} (224.0.0.1)`),
  badUrl('http://0.0.0.0/cb', `${PRIVATE} (0.0.0.0)`),
  badUrl('http://0/cb', `${PRIVATE} (0.0.0.0)`),
  badUrl('http://[::1]/cb', `${PRIVATE} (::1)`),
  badUrl('http://[::]/cb', `${PRIVATE} (::)`),
  badUrl('http://[fc00::1]/cb', `${PRIVATE} (fc00::1)`),
  badUrl('http://[fe80::1]/cb', `${PRIVATE} (fe80::1)`),
  badUrl('http://[::ffff:10.0.0.1]/cb', PRIVATE),
  badUrl('http://[::ffff:127.0.0.1]/cb', PRIVATE),
  badUrl('http://[::ffff:a9fe:a9fe]/cb', PRIVATE),
  badUrl('http://localhost:3000/cb', 'must not point to localhost'),
  badUrl('http://localhost./cb', 'must not point to localhost'),
  // Schemes, user-info, length, shape.
  badUrl('ftp://example.com/cb', 'must use http or https'),
  badUrl('javascript:alert(1)', 'must use http or https'),
  badUrl('file:///etc/passwd', 'must use http or https'),
  badUrl('gopher://example.com:70/_x', 'must use http or https'),
  badUrl('https://user:pw@example.com/cb', 'must not contain user information'),
  badUrl('https://user@example.com/cb', 'must not contain user information'),
  badUrl(`https://example.com/${'a'.repeat(2048)}`, 'at most 2048 characters', 'over 2048 characters'),
  badUrl('/relative/cb', 'absolute http or https URL'),
  badUrl('https://example.com:99999/cb', 'absolute http or https URL'),
  {
    name: '_callback_url not a string',
    req: json({ _callback_url: 12345, _callback_token: TOKEN }),
    expect: { status: 422, message: 'must be a string', field: '_callback_url' },
  },
  {
    name: '_callback_url without _callback_token',
    req: json({ _callback_url: URL_OK }),
    expect: { status: 422, message: '_callback_token is required', field: '_callback_token' },
  },
  {
    name: 'private _callback_url in the query string (DELETE)',
    req: { method: 'DELETE', path: `/items/1?${cbQuery('http://10.1.2.3/cb')}` },
    expect: { status: 422, message: `${PRIVATE} (10.1.2.3)`, field: '_callback_url' },
  },
  {
    name: 'private _callback_url in a form body (PATCH)',
    req: {
      method: 'PATCH',
      path: '/items/1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `name=x&${cbQuery('http://192.168.1.1/')}`,
    },
    expect: { status: 422, message: `${PRIVATE} (192.168.1.1)`, field: '_callback_url' },
  },
  // Tokens.
  badToken('short', '16 to 256 visible ASCII characters', 'too short'),
  badToken('a'.repeat(257), '16 to 256 visible ASCII characters', 'over 256 characters'),
  badToken('has a space 0123456789', '16 to 256 visible ASCII characters', 'with spaces'),
  badToken('ctrl\u0001chars0123456789', '16 to 256 visible ASCII characters', 'with a control character'),
  badToken('é'.repeat(16), '16 to 256 visible ASCII characters', 'non-ASCII'),
  badToken(['0123456789abcdef'], 'must be a string', 'an array'),
  // Correlation ids.
  badId('', 'X-Correlation-ID is empty', 'empty'),
  badId('a'.repeat(129), 'longer than 128 characters', 'over 128 characters'),
  badId('a\tb', 'visible ASCII', 'with a tab'),
  badId('caf\u00e9', 'visible ASCII', 'non-ASCII'),
  // Bodies: malformed JSON, wrong content types, sizes, headers.
  {
    name: 'malformed JSON',
    req: {
      method: 'PUT',
      path: `/items/1?${cbQuery()}`,
      headers: { 'content-type': 'application/json' },
      body: '{"name": "x",',
    },
    expect: { status: 400, message: /JSON/ },
  },
  {
    name: 'malformed JSON with the callback fields inside',
    req: {
      method: 'PUT',
      path: '/items/1',
      headers: { 'content-type': 'application/json' },
      body: `{"_callback_url":"${URL_OK}","_callback_token":"${TOKEN}"`,
    },
    expect: { status: 400, message: /JSON/ },
  },
  {
    name: 'application/xml body',
    req: {
      method: 'PUT',
      path: `/items/1?${cbQuery()}`,
      headers: { 'content-type': 'application/xml' },
      body: '<user><name>x</name></user>',
    },
    expect: {
      express: { status: 415, message: 'cannot be queued', field: 'content-type' },
      fastify: { status: 415, message: 'Unsupported Media Type' },
    },
  },
  {
    name: 'application/octet-stream body',
    req: {
      method: 'PATCH',
      path: `/items/1?${cbQuery()}`,
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 1, 2, 255]),
    },
    expect: {
      express: { status: 415, message: 'cannot be queued', field: 'content-type' },
      fastify: { status: 415, message: 'Unsupported Media Type' },
    },
  },
  {
    name: 'body without a content type',
    req: { method: 'PUT', path: `/items/1?${cbQuery()}`, body: 'name=x' },
    expect: {
      express: { status: 415, message: 'cannot be queued', field: 'content-type' },
      fastify: { status: 415, message: 'Unsupported Media Type' },
    },
  },
  {
    name: 'JSON body over limits.maxBodyBytes',
    req: json({ _callback_url: URL_OK, _callback_token: TOKEN, blob: 'x'.repeat(40 * 1024) }),
    expect: { status: 413, message: 'a queued request may have at most 32768', field: 'body' },
  },
  {
    name: 'form body over limits.maxBodyBytes',
    req: {
      method: 'PUT',
      path: '/items/1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${cbQuery()}&blob=${'x'.repeat(40 * 1024)}`,
    },
    expect: { status: 413, message: 'a queued request may have at most 32768', field: 'body' },
  },
  {
    name: 'JSON body over the adapter limit (2 MiB)',
    req: json({ _callback_url: URL_OK, _callback_token: TOKEN, blob: 'x'.repeat(2 * 1024 * 1024) }),
    expect: { status: 413, message: /too large/i },
  },
  {
    name: 'stored headers over limits.maxHeaderBytes',
    req: json(
      { _callback_url: URL_OK, _callback_token: TOKEN },
      { 'x-one': 'a'.repeat(2000), 'x-two': 'b'.repeat(2000), 'x-three': 'c'.repeat(2000) },
    ),
    expect: { status: 431, message: 'a queued request may have at most 4096', field: 'headers' },
  },
  {
    name: 'raw headers over the server limit (20 KiB)',
    req: json({ _callback_url: URL_OK, _callback_token: TOKEN }, { 'x-huge': 'h'.repeat(20 * 1024) }),
    expect: {
      // Node's HTTP parser answers before Express sees the request: no body at all.
      express: { status: 431, message: null },
      fastify: { status: 431, message: 'Exceeded maximum allowed HTTP header size' },
    },
  },
];

const stores = await storeMatrix();

describe.each(stores)('bad-input matrix on the $kind.name store', ({ kind, skip }) => {
  describe.skipIf(skip !== null).each(ADAPTERS)('over %s', (adapter) => {
    const live = useSecurityApp(kind, adapter, 'matrix', { limits: LIMITS });

    it('has at least 30 rows', () => {
      expect(MATRIX.length).toBeGreaterThanOrEqual(30);
      expect(new Set(MATRIX.map((r) => r.name)).size).toBe(MATRIX.length);
    });

    it.each(MATRIX.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
      const want = 'status' in row.expect ? row.expect : row.expect[adapter];
      const res = await live.client.send(row.req);
      expect(res.status, res.text.slice(0, 300)).toBe(want.status);
      expect(res.status).toBeLessThan(500);
      if (want.message === null) {
        expect(res.json).toBeUndefined();
      } else {
        const message = String(res.json?.message);
        if (typeof want.message === 'string') expect(message).toContain(want.message);
        else expect(message).toMatch(want.message);
      }
      if (want.field !== undefined) expect(res.json?.field).toBe(want.field);
      // Nothing stored: no job, no claimed id, no key or row at all.
      expect(await live.store.count()).toEqual({ entries: 0, jobs: 0 });
    });

    it('stores a valid request (the counting above does see what is stored)', async () => {
      const res = await live.client.send(json({ name: 'ok', _callback_url: URL_OK, _callback_token: TOKEN }));
      expect(res.status).toBe(202);
      const count = await live.store.count();
      expect(count.jobs).toBe(1);
      expect(count.entries).toBeGreaterThan(1);
    });
  });
});
