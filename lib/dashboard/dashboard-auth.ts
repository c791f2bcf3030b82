import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The dashboard's own checks, plain functions over request headers: HTTP basic auth, and
 * the cross-site request forgery defence of its actions (a token bound to the visitor and
 * to a per-page nonce, plus an Origin check).
 */

export type Headers = Record<string, string | string[] | undefined>;

/** The realm a browser shows in its credentials prompt. */
export const BASIC_REALM = 'request-queue dashboard';

/** The header the page sends its token in, on every POST. */
export const CSRF_HEADER = 'x-request-queue-csrf';

/** The cookie holding the page's nonce (HttpOnly: the page's script never reads it). */
export const NONCE_COOKIE = 'rq_dashboard_nonce';

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sameText(a: string, b: string): boolean {
  const x = createHmac('sha256', 'compare').update(a).digest();
  const y = createHmac('sha256', 'compare').update(b).digest();
  return timingSafeEqual(x, y);
}

/**
 * The username when the `Authorization: Basic` header carries exactly these credentials,
 * else null. Compared in constant time (through HMACs of equal length).
 */
export function checkBasicAuth(headers: Headers, expected: { username: string; password: string }): string | null {
  const value = header(headers, 'authorization');
  const match = value ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const ok = sameText(user, expected.username) && sameText(password, expected.password);
  return ok ? user : null;
}

/**
 * Who the visitor is, for binding the token: the basic auth user, else the credentials the
 * app's guard read (the `Authorization` header), else nothing (a cookie session: then the
 * nonce cookie binds the token to that browser).
 */
export function visitorIdentity(headers: Headers, basicUser: string | null): string {
  if (basicUser !== null) return `basic:${basicUser}`;
  const authorization = header(headers, 'authorization');
  return authorization ? `authorization:${authorization}` : '';
}

/** A fresh nonce for one page load. */
export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** The page's token: HMAC of the module secret over the visitor's identity and the page nonce. */
export function csrfToken(secret: string, identity: string, nonce: string): string {
  return createHmac('sha256', secret).update(`request-queue dashboard csrf\n${identity}\n${nonce}`).digest('base64url');
}

/** The nonce cookie's value in a `Cookie` header, if any. */
export function readNonceCookie(headers: Headers): string | undefined {
  const cookie = header(headers, 'cookie');
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === NONCE_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The `Set-Cookie` value that hands the page its nonce, scoped to the dashboard's path. */
export function nonceCookie(nonce: string, path: string, secure: boolean): string {
  return `${NONCE_COOKIE}=${nonce}; Path=${path}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/**
 * Why a state-changing request must be refused, or null when it may go on: it must come
 * from the same origin (its `Origin`, when the browser sends one, names this host; a
 * `Sec-Fetch-Site` of `cross-site` is refused), carry the nonce cookie, and the token that
 * the page got for this visitor and that nonce.
 */
export function csrfRefusal(headers: Headers, secret: string, identity: string): string | null {
  const origin = header(headers, 'origin');
  const host = header(headers, 'x-forwarded-host') ?? header(headers, 'host');
  if (origin !== undefined) {
    const from = hostOf(origin);
    if (from === null || from !== host) {
      return `cross-origin request refused: Origin ${origin} is not this dashboard's origin`;
    }
  }
  if (header(headers, 'sec-fetch-site') === 'cross-site') return 'cross-site request refused';
  const token = header(headers, CSRF_HEADER);
  if (!token) return `missing ${CSRF_HEADER} header: reload the dashboard page and try again`;
  const nonce = readNonceCookie(headers);
  if (!nonce) return 'missing dashboard session cookie: reload the dashboard page and try again';
  if (!sameText(token, csrfToken(secret, identity, nonce))) {
    return `bad ${CSRF_HEADER} token: reload the dashboard page and try again`;
  }
  return null;
}

/** The `host[:port]` of an `Origin` value; null for `null` (an opaque origin) or nonsense. */
function hostOf(origin: string): string | null {
  if (origin === 'null') return null;
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
