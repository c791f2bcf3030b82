import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildConnector } from 'undici';
import {
  guardedConnector,
  CallbackAddressRefusedError,
  type AddressLookup,
  type SocketConnector,
} from '../../lib/core/callback-connector.js';
import { CallbackSender } from '../../lib/core/callback-sender.js';
import { checkCallbackUrl, type CallbackUrlPolicy } from '../../lib/core/callback-url.js';
import type { Outcome } from '../../lib/core/job.js';
import { verifyCallback } from '../../lib/receiver/verify-callback.js';
import { HttpRecorder } from '../support/http-recorder.js';
import { loopbackOnly, type LoopbackGuard } from './support/loopback-only.js';

const TOKEN = 'ssrf-test-callback-token-0123456789';
const OUTCOME: Outcome = {
  correlationId: 'cid-1',
  status: 'completed',
  attempts: 1,
  response: { status: 200, headers: {}, body: { ok: true } },
};
const NO_EXCEPTIONS: CallbackUrlPolicy = { allowedHosts: [], httpsOnly: false };

/** A resolver that answers from a table and counts its calls; unknown names do not exist. */
function fakeResolver(table: Record<string, string[] | (() => string[])>): AddressLookup & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    const entry = table[hostname];
    const addresses = typeof entry === 'function' ? entry() : entry;
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

/**
 * A connector spy: records the address the guard decided to connect to, and connects to the
 * local sink instead (so "public" addresses in these tests never leave the machine).
 */
function redirectingSpy(sink: HttpRecorder): SocketConnector & { seen: string[] } {
  const real = buildConnector({ timeout: 2_000 });
  const seen: string[] = [];
  const spy: SocketConnector = (opts, callback) => {
    seen.push(opts.hostname);
    real({ ...opts, hostname: '127.0.0.1', port: String(sink.port) }, callback);
  };
  return Object.assign(spy, { seen });
}

describe('callback SSRF guard (connection time)', () => {
  let guard: LoopbackGuard;
  let sink: HttpRecorder;
  const senders: CallbackSender[] = [];
  const sender = (options: ConstructorParameters<typeof CallbackSender>[0]) => {
    const s = new CallbackSender(options);
    senders.push(s);
    return s;
  };

  beforeAll(async () => {
    guard = loopbackOnly();
    sink = await new HttpRecorder().start();
  });
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((s) => s.close()));
    sink.requests.length = 0;
    sink.respond((_req, res) => res.end());
  });
  afterAll(async () => {
    await sink.close();
    guard.restore();
    // The proof: across every test here, no socket was ever opened to anything but loopback.
    expect(guard.blocked).toEqual([]);
    expect(guard.attempts.length).toBeGreaterThan(0); // the spy saw the loopback connections it let through
    expect(guard.attempts.every((a) => a.startsWith('127.0.0.1:') || a.startsWith('::1:'))).toBe(true);
  });

  const refusedAddresses = [
    '10.0.0.7',
    '10.255.255.254',
    '172.16.0.1',
    '192.168.1.1',
    '127.0.0.1',
    '127.8.9.10',
    '169.254.169.254',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '0.0.0.0',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:127.0.0.1',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
  ];

  it.each(refusedAddresses)('refuses a host name that resolves to %s, before any socket is opened', async (address) => {
    const lookup = fakeResolver({ 'hooks.example.com': [address] });
    const connect = vi.fn<SocketConnector>();
    const result = await sender({ policy: NO_EXCEPTIONS, lookup, connect }).send(
      'https://hooks.example.com/cb',
      TOKEN,
      'msg_1',
      OUTCOME,
      2_000,
    );
    expect(result).toEqual({ type: 'refused', error: expect.stringContaining(`resolves to ${address}`) });
    expect(lookup.calls).toEqual(['hooks.example.com']);
    expect(connect).not.toHaveBeenCalled();
  });

  it('refuses a host name with any non-public address among public ones', async () => {
    const lookup = fakeResolver({ 'mixed.example.com': ['93.184.216.34', '10.0.0.1'] });
    const connect = vi.fn<SocketConnector>();
    const result = await sender({ policy: NO_EXCEPTIONS, lookup, connect }).send(
      'http://mixed.example.com/cb',
      TOKEN,
      'msg_1',
      OUTCOME,
      2_000,
    );
    expect(result).toMatchObject({ type: 'refused', error: expect.stringContaining('10.0.0.1') });
    expect(connect).not.toHaveBeenCalled();
  });

  it('connects to exactly the address it checked, never to a host name (no second lookup to rebind)', async () => {
    const lookup = fakeResolver({ 'public.example.com': ['93.184.216.34'] });
    const spy = redirectingSpy(sink);
    const result = await sender({ policy: NO_EXCEPTIONS, lookup, connect: spy }).send(
      `http://public.example.com:${sink.port}/cb`,
      TOKEN,
      'msg_1',
      OUTCOME,
      5_000,
    );
    expect(result).toEqual({ type: 'delivered', status: 200 });
    expect(spy.seen).toEqual(['93.184.216.34']);
    expect(sink.requests[0]!.headers.host).toBe(`public.example.com:${sink.port}`);
  });

  it('defeats DNS rebinding: a name that turns private between two connections is refused the second time', async () => {
    const answers = [['93.184.216.34'], ['10.0.0.1']];
    const lookup = fakeResolver({ 'rebind.example.com': () => answers.shift() ?? ['169.254.169.254'] });
    const spy = redirectingSpy(sink);
    // `Connection: close` makes the next delivery open (and check) a new connection.
    sink.respond((_req, res) => res.setHeader('connection', 'close').end());
    const s = sender({ policy: NO_EXCEPTIONS, lookup, connect: spy });
    const url = `http://rebind.example.com:${sink.port}/cb`;
    expect(await s.send(url, TOKEN, 'msg_1', OUTCOME, 5_000)).toEqual({ type: 'delivered', status: 200 });
    await new Promise((r) => setTimeout(r, 50));
    expect(await s.send(url, TOKEN, 'msg_1', OUTCOME, 5_000)).toMatchObject({
      type: 'refused',
      error: expect.stringContaining('10.0.0.1'),
    });
    expect(spy.seen).toEqual(['93.184.216.34']);
    expect(sink.requests).toHaveLength(1);
  });

  it.each([
    'http://10.0.0.1/cb',
    'http://169.254.169.254/latest/meta-data/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://[::ffff:10.0.0.1]/',
    'http://[fe80::1]/',
    'http://localhost/cb',
    'http://localhost./cb',
    'http://a.localhost/cb',
    'ftp://example.com/cb',
    'http://user:pw@example.com/cb',
  ])('re-checks the URL at delivery time: %s is refused without a lookup', async (url) => {
    const lookup = fakeResolver({});
    const connect = vi.fn<SocketConnector>();
    const result = await sender({ policy: NO_EXCEPTIONS, lookup, connect }).send(url, TOKEN, 'msg_1', OUTCOME, 2_000);
    expect(result.type).toBe('refused');
    expect(lookup.calls).toEqual([]);
    expect(connect).not.toHaveBeenCalled();
  });

  it('refuses a private IP literal at the connector too (defence in depth)', async () => {
    const connect = vi.fn<SocketConnector>();
    const connector = guardedConnector({ policy: NO_EXCEPTIONS, connect });
    for (const hostname of ['10.0.0.1', '169.254.169.254', 'fe80::1', '::ffff:a00:1']) {
      const err = await new Promise<Error | null>((resolve) =>
        connector({ hostname, host: hostname, protocol: 'http:', port: '80' }, (...args) => resolve(args[0])),
      );
      expect(err).toBeInstanceOf(CallbackAddressRefusedError);
    }
    expect(connect).not.toHaveBeenCalled();
  });

  it('opens an exception for a host named in allowedHosts, on that port only, with a real loopback connection', async () => {
    const lookup = fakeResolver({ 'hooks.internal': ['127.0.0.1'], 'other.internal': ['127.0.0.1'] });
    const s = sender({ policy: { allowedHosts: [`hooks.internal:${sink.port}`], httpsOnly: false }, lookup });
    const delivered = await s.send(`http://hooks.internal:${sink.port}/cb`, TOKEN, 'msg_ok', OUTCOME, 5_000);
    expect(delivered).toEqual({ type: 'delivered', status: 200 });
    const got = sink.requests[0]!;
    expect(verifyCallback(TOKEN, got.body, got.headers).payload).toEqual(OUTCOME);

    expect((await s.send(`http://other.internal:${sink.port}/cb`, TOKEN, 'msg_ok', OUTCOME, 2_000)).type).toBe(
      'refused',
    );
    expect((await s.send(`http://hooks.internal:${sink.port + 1}/cb`, TOKEN, 'msg_ok', OUTCOME, 2_000)).type).toBe(
      'refused',
    );
    expect(sink.requests).toHaveLength(1);
  });

  it('allows an IP literal named in allowedHosts, including bare and bracketed IPv6 forms', async () => {
    const s = sender({ policy: { allowedHosts: [`127.0.0.1:${sink.port}`], httpsOnly: false } });
    expect(await s.send(`${sink.origin}/cb`, TOKEN, 'msg_ip', OUTCOME, 5_000)).toEqual({
      type: 'delivered',
      status: 200,
    });
    const connect = vi.fn<SocketConnector>((_opts, cb) => cb(new Error('spy: not connecting'), null));
    for (const allowedHosts of [['::1'], ['[::1]'], ['[::1]:9']]) {
      const connector = guardedConnector({ policy: { allowedHosts, httpsOnly: false }, connect });
      await new Promise<void>((resolve) =>
        connector({ hostname: '::1', host: '[::1]:9', protocol: 'http:', port: '9' }, () => resolve()),
      );
    }
    expect(connect).toHaveBeenCalledTimes(3);
  });

  it('never follows a redirect: a 302 to another address is a failed delivery', async () => {
    const target = await new HttpRecorder().start();
    try {
      sink.respond((_req, res) => res.writeHead(302, { location: `${target.origin}/stolen` }).end());
      const s = sender({
        policy: { allowedHosts: [`127.0.0.1:${sink.port}`, `127.0.0.1:${target.port}`], httpsOnly: false },
      });
      const result = await s.send(`${sink.origin}/cb`, TOKEN, 'msg_r', OUTCOME, 5_000);
      expect(result).toEqual({ type: 'failed', error: 'callback receiver answered 302' });
      expect(target.requests).toHaveLength(0);
    } finally {
      await target.close();
    }
  });

  it('honours httpsOnly at submit policy, delivery re-check and connection time', async () => {
    const policy = { allowedHosts: [`127.0.0.1:${sink.port}`], httpsOnly: true };
    // Submit time (the gate's check): 422 for http, even for an allowed host.
    expect(checkCallbackUrl(`${sink.origin}/cb`, policy)).toEqual({ ok: false, reason: 'must use https' });
    expect(checkCallbackUrl('https://hooks.example.com/cb', policy).ok).toBe(true);
    const result = await sender({ policy }).send(`${sink.origin}/cb`, TOKEN, 'msg_h', OUTCOME, 2_000);
    expect(result).toEqual({ type: 'refused', error: expect.stringContaining('https') });
    const connect = vi.fn<SocketConnector>();
    const err = await new Promise<Error | null>((resolve) =>
      guardedConnector({ policy, connect })(
        { hostname: '93.184.216.34', host: '93.184.216.34', protocol: 'http:', port: '80' },
        (...args) => resolve(args[0]),
      ),
    );
    expect(err).toBeInstanceOf(CallbackAddressRefusedError);
    expect(connect).not.toHaveBeenCalled();
    expect(sink.requests).toHaveLength(0);
  });

  it('reports a name that does not resolve as a retryable failure, not a refusal', async () => {
    const result = await sender({ policy: NO_EXCEPTIONS, lookup: fakeResolver({}) }).send(
      'https://nowhere.example.com/cb',
      TOKEN,
      'msg_n',
      OUTCOME,
      2_000,
    );
    expect(result).toMatchObject({ type: 'failed', error: expect.stringContaining('ENOTFOUND') });
  });
});
