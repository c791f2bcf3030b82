import { describe, expect, it } from 'vitest';
import {
  checkBasicAuth,
  csrfRefusal,
  csrfToken,
  CSRF_HEADER,
  newNonce,
  nonceCookie,
  readNonceCookie,
  visitorIdentity,
} from './dashboard-auth.js';

const expected = { username: 'ops', password: 'pa:ss word' };
const basic = (value: string) => ({ authorization: `Basic ${Buffer.from(value).toString('base64')}` });

describe('basic auth', () => {
  it('accepts exactly the configured credentials (a colon in the password included)', () => {
    expect(checkBasicAuth(basic('ops:pa:ss word'), expected)).toBe('ops');
    expect(
      checkBasicAuth({ authorization: `basic ${Buffer.from('ops:pa:ss word').toString('base64')}` }, expected),
    ).toBe('ops');
  });

  it.each([
    [{}],
    [basic('ops:wrong')],
    [basic('other:pa:ss word')],
    [basic('ops')],
    [basic('ops:pa:ss wor')],
    [{ authorization: 'Bearer abc' }],
    [{ authorization: 'Basic !!!' }],
  ])('refuses %j', (headers) => {
    expect(checkBasicAuth(headers, expected)).toBeNull();
  });
});

describe('anti-forgery token', () => {
  const secret = 'module-secret';
  const identity = visitorIdentity(basic('ops:pa:ss word'), 'ops');
  const nonce = newNonce();
  const token = csrfToken(secret, identity, nonce);
  const cookie = `${nonceCookie(nonce, '/d', false).split(';')[0]}; other=1`;
  const good = { host: 'app.example', origin: 'https://app.example', cookie, [CSRF_HEADER]: token };

  it('binds the token to the secret, the visitor and the nonce', () => {
    expect(csrfToken(secret, identity, nonce)).toBe(token);
    expect(csrfToken('other-secret', identity, nonce)).not.toBe(token);
    expect(csrfToken(secret, 'basic:someone-else', nonce)).not.toBe(token);
    expect(csrfToken(secret, identity, newNonce())).not.toBe(token);
  });

  it('reads the nonce cookie among others, and sets it HttpOnly, SameSite=Strict on the path', () => {
    expect(readNonceCookie({ cookie })).toBe(nonce);
    expect(readNonceCookie({ cookie: 'a=1' })).toBeUndefined();
    expect(nonceCookie(nonce, '/d', true)).toBe(
      `rq_dashboard_nonce=${nonce}; Path=/d; HttpOnly; SameSite=Strict; Secure`,
    );
  });

  it('lets a same-origin request with the token and its cookie through (Origin optional)', () => {
    expect(csrfRefusal(good, secret, identity)).toBeNull();
    const { origin: _origin, ...withoutOrigin } = good;
    expect(csrfRefusal(withoutOrigin, secret, identity)).toBeNull();
  });

  it.each([
    [{ origin: 'https://evil.example' }, /cross-origin request refused/],
    [{ origin: 'null' }, /cross-origin request refused/],
    [{ origin: 'not a url' }, /cross-origin request refused/],
    [{ 'sec-fetch-site': 'cross-site' }, /cross-site request refused/],
    [{ [CSRF_HEADER]: undefined }, /missing x-request-queue-csrf/],
    [{ cookie: undefined }, /missing dashboard session cookie/],
    [{ cookie: `rq_dashboard_nonce=${newNonce()}` }, /bad x-request-queue-csrf/],
    [{ [CSRF_HEADER]: token.slice(1) }, /bad x-request-queue-csrf/],
  ])('refuses %j', (change, message) => {
    expect(csrfRefusal({ ...good, ...change }, secret, identity)).toMatch(message);
  });

  it('refuses a token given to another visitor', () => {
    expect(csrfRefusal(good, secret, 'basic:someone-else')).toMatch(/bad x-request-queue-csrf/);
  });
});
