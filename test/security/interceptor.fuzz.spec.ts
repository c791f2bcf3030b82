import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from './support/security-app.js';
import type { Outgoing } from './support/send.js';
import { useSecurityApp } from './support/use-security-app.js';
import { storeMatrix } from '../support/stores.js';

/**
 * Property: whatever a client sends to a queueable route, the answer is one of the
 * documented statuses (the handler's own 200/201, 202, 400, 409, 413, 415, 422, 431),
 * never a 500; a job is stored exactly when the answer is 202; and a refused request
 * (4xx) leaves nothing at all behind (no job, no claimed id).
 */

const RUNS = Number(process.env.SECURITY_FUZZ_RUNS ?? 200);
const DOCUMENTED = new Set([200, 201, 202, 400, 409, 413, 415, 422, 431]);
const TOKEN = 'fuzz-token-0123456789abcdef';
const LIMITS = { maxBodyBytes: 4 * 1024, maxHeaderBytes: 2 * 1024 };

/** Characters Node's HTTP client lets through in a header value. */
const headerSafe = (s: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(s);

const callbackUrl = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'https://hooks.example.com/cb',
      'http://93.184.216.34:8080/x?y=1',
      'https://[2606:4700:4700::1111]/cb',
    ),
  },
  fc.constantFrom(
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://[::ffff:10.0.0.1]/',
    'http://169.254.169.254/',
    'http://[fe80::1]/',
    'http://100.64.1.1/',
    'http://localhost/',
    'ftp://example.com/',
    'https://u:p@example.com/',
    `https://example.com/${'x'.repeat(2050)}`,
  ),
  fc.webUrl(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
);

const callbackToken = fc.oneof(
  { weight: 4, arbitrary: fc.constant(TOKEN) },
  { weight: 2, arbitrary: fc.stringMatching(/^[\x21-\x7e]{16,64}$/) },
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', minLength: 16, maxLength: 20 }),
  fc.integer(),
  fc.constant(null),
);

const correlationId = fc.oneof(
  { weight: 3, arbitrary: fc.constant<'fresh'>('fresh') },
  { weight: 2, arbitrary: fc.constant<'reuse'>('reuse') },
  { weight: 2, arbitrary: fc.constant<'absent'>('absent') },
  { weight: 2, arbitrary: fc.string({ maxLength: 140 }).filter(headerSafe) },
  { weight: 1, arbitrary: fc.constantFrom('', 'a'.repeat(129), 'caf\u00e9', 'a\tb') },
);

const scalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean());

const fuzzCase = fc.record({
  method: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'PUT', 'PATCH', 'DELETE', 'GET', 'POST'),
  url: fc.option(callbackUrl, { nil: undefined }),
  token: fc.option(callbackToken, { nil: undefined }),
  id: correlationId,
  placement: fc.constantFrom('json', 'query', 'form'),
  body: fc.constantFrom('ok', 'ok', 'ok', 'malformed-json', 'text/plain', 'no-content-type', 'oversized'),
  extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), scalar, { maxKeys: 4 }),
  header: fc.option(
    fc.oneof(
      fc.string({ maxLength: 100 }).filter(headerSafe),
      fc.integer({ min: 1500, max: 3000 }).map((n) => 'h'.repeat(n)),
    ),
    { nil: undefined, freq: 2 },
  ),
});

type FuzzCase = typeof fuzzCase extends fc.Arbitrary<infer T> ? T : never;

function encodeForm(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join('&');
}

/** Turns a generated case into an HTTP request; `used` holds ids already claimed. */
function build(c: FuzzCase, used: string[]): { req: Outgoing; id: string | undefined } {
  const params: Record<string, unknown> = {};
  if (c.url !== undefined) params._callback_url = c.url;
  if (c.token !== undefined) params._callback_token = c.token;
  let id: string | undefined;
  if (c.id === 'fresh') id = randomUUID();
  else if (c.id === 'reuse') id = used.length > 0 ? used[used.length - 1] : randomUUID();
  else if (c.id !== 'absent') id = c.id;

  const headers: Record<string, string> = {};
  if (id !== undefined) headers['x-correlation-id'] = id;
  if (c.header !== undefined) headers['x-fuzz'] = c.header;
  const fields = c.placement === 'query' ? c.extra : { ...c.extra, ...params };
  const query = c.placement === 'query' && Object.keys(params).length > 0 ? `?${encodeForm(params)}` : '';
  let body: string | undefined;
  if (c.body === 'malformed-json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(fields).slice(0, -1);
  } else if (c.body === 'text/plain') {
    headers['content-type'] = 'text/plain';
    body = encodeForm(fields);
  } else if (c.body === 'no-content-type') {
    body = encodeForm(fields);
  } else if (c.placement === 'form') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = encodeForm(c.body === 'oversized' ? { ...fields, blob: 'x'.repeat(6000) } : fields);
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(c.body === 'oversized' ? { ...fields, blob: 'x'.repeat(6000) } : fields);
  }
  if (c.method === 'GET') body = undefined;
  return { req: { method: c.method, path: `/items/${Math.floor(Math.random() * 1000)}${query}`, headers, body }, id };
}

const stores = await storeMatrix();

describe.each(stores)('interceptor fuzz on the $kind.name store', ({ kind, skip }) => {
  describe.skipIf(skip !== null).each(ADAPTERS)('over %s', (adapter) => {
    const live = useSecurityApp(kind, adapter, 'fuzz', { limits: LIMITS });

    it(`answers only documented statuses, never 500, and stores a job only on 202 (${RUNS} runs)`, async () => {
      const used: string[] = [];
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(fuzzCase, async (c) => {
          const { req, id } = build(c, used);
          const before = await live.store.count();
          const res = await live.client.send(req);
          const after = await live.store.count();
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);

          expect(res.status, `${req.method} ${req.path.slice(0, 80)} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
          expect(DOCUMENTED.has(res.status), `undocumented ${res.status}: ${res.text.slice(0, 200)}`).toBe(true);
          expect(after.jobs - before.jobs).toBe(res.status === 202 ? 1 : 0);
          if (res.status >= 400) expect(after.entries).toBe(before.entries);
          if (res.status === 202) {
            expect(res.json).toEqual({
              correlationId: res.headers['x-correlation-id'],
              status: 'queued',
              statusUrl: res.headers.location,
            });
          }
          if (id !== undefined && (res.status === 202 || (res.status === 200 && after.entries > before.entries)))
            used.push(id);
        }),
        { numRuns: RUNS },
      );
      if (process.env.SECURITY_FUZZ_DEBUG) console.log(adapter, kind.name, JSON.stringify([...seen].sort()));
      // The generator reaches the interesting answers, not only one kind of refusal.
      expect(seen.get(202) ?? 0).toBeGreaterThan(0);
      expect(seen.get(422) ?? 0).toBeGreaterThan(0);
      expect(seen.get(400) ?? 0).toBeGreaterThan(0);
    });
  });
});
