import { CALLBACK_TOKEN_FIELD, CALLBACK_URL_FIELD } from './callback-params.js';
import { filterReplayHeaders, type HeaderMap } from './header-filter.js';
import { REPLAY_MARKER_HEADER } from './replay-marker.js';

const CALLBACK_FIELDS = new Set([CALLBACK_URL_FIELD, CALLBACK_TOKEN_FIELD]);

/** What the interceptor knows of an incoming request, adapter-neutral. */
export interface IncomingRequest {
  method: string;
  /** Path and query as received (`/user/1?x=1`). */
  url: string;
  headers: HeaderMap;
  /** The parsed body, as the adapter's body parser left it. */
  body: unknown;
  /** The raw body bytes, when the app was created with `rawBody: true`. */
  rawBody?: Buffer;
}

export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

/** Drops `_callback_url`/`_callback_token` pairs from a query or form string, leaving every other byte alone. */
export function stripCallbackFields(encoded: string): string {
  if (encoded === '') return encoded;
  return encoded
    .split('&')
    .filter((pair) => {
      const name = pair.split('=', 1)[0]!;
      let key: string;
      try {
        key = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        key = name;
      }
      return !CALLBACK_FIELDS.has(key);
    })
    .join('&');
}

/**
 * The origin-form (`/path?query`) of a request target. An absolute-form target
 * (`PUT http://other-host/user/1 HTTP/1.1`, which Node hands over as is and both adapters
 * route by its path) keeps only its path and query: the stored request must never name a
 * host, or its replay could be steered away from `baseUrl` (SSRF).
 */
export function originForm(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return `/${target}`;
  }
}

function stripPath(target: string): string {
  const url = originForm(target);
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = stripCallbackFields(url.slice(q + 1));
  return query === '' ? url.slice(0, q) : `${url.slice(0, q)}?${query}`;
}

function mediaType(headers: HeaderMap): string {
  const ct = headers['content-type'];
  const value = Array.isArray(ct) ? ct[0] : ct;
  return (value ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

function isJson(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

function withoutCallbackFields(body: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!CALLBACK_FIELDS.has(k)) copy[k] = v;
  return copy;
}

/** Encodes a parsed form body (as `qs` nests it) back into `application/x-www-form-urlencoded`. */
export function encodeForm(value: unknown, prefix = ''): string[] {
  if (value === null || value === undefined) return prefix ? [`${encodeURIComponent(prefix)}=`] : [];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return [`${encodeURIComponent(prefix)}=${encodeURIComponent(String(value))}`];
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    parts.push(...encodeForm(v, prefix ? `${prefix}[${Array.isArray(value) ? '' : k}]` : k));
  }
  return parts;
}

function captureBody(req: IncomingRequest, type: string): Buffer | null {
  const { body, rawBody } = req;
  if (type === 'application/x-www-form-urlencoded') {
    if (rawBody) return Buffer.from(stripCallbackFields(rawBody.toString('latin1')), 'latin1');
    if (body && typeof body === 'object') {
      return Buffer.from(encodeForm(withoutCallbackFields(body as Record<string, unknown>)).join('&'));
    }
  } else if (isJson(type)) {
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const fields = body as Record<string, unknown>;
      if (rawBody && !(CALLBACK_URL_FIELD in fields) && !(CALLBACK_TOKEN_FIELD in fields)) return rawBody;
      return Buffer.from(JSON.stringify(withoutCallbackFields(fields)));
    }
    if (rawBody) return rawBody;
    if (body !== undefined) return Buffer.from(JSON.stringify(body));
  } else {
    if (rawBody) return rawBody;
    if (Buffer.isBuffer(body)) return body;
    if (typeof body === 'string') return Buffer.from(body);
  }
  return null;
}

/**
 * Takes what a replay needs from a request: method, path and query (callback parameters
 * removed), filtered headers, and the body bytes (callback fields removed from JSON and
 * form bodies; other bytes left as they came).
 */
export function captureRequest(req: IncomingRequest, correlationHeader = 'x-correlation-id'): CapturedRequest {
  const type = mediaType(req.headers);
  return {
    method: req.method.toUpperCase(),
    path: stripPath(req.url),
    headers: filterReplayHeaders(req.headers, REPLAY_MARKER_HEADER, correlationHeader.toLowerCase()),
    body: captureBody(req, type),
  };
}
