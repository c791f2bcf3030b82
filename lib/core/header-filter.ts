/** Headers that describe one connection (RFC 9110 §7.6.1) or that the replay sets itself. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'http2-settings',
  // Request-specific headers whose value would be wrong on the replay.
  'x-correlation-id',
  'cookie',
]);

/** Headers that replay although they are not `X-…` headers. */
const KEPT = new Set([
  'authorization',
  'accept',
  'accept-language',
  'accept-encoding',
  'content-type',
  'user-agent',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'idempotency-key',
  'forwarded',
  'origin',
  'referer',
]);

export type HeaderMap = Record<string, string | string[] | undefined>;

/**
 * Picks the headers a replay carries: an explicit allow-list plus custom `x-…` headers,
 * minus hop-by-hop headers, `Host`, `Content-Length` and the headers the replay sets itself
 * (`own`, lower-case: the internal marker, the configured correlation id header).
 * Header names come out lower-case, values as strings (multi-valued ones joined by `, `).
 */
export function filterReplayHeaders(headers: HeaderMap, ...own: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  // Headers named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1).
  const connection = headers['connection'];
  const alsoDropped = new Set(
    (Array.isArray(connection) ? connection.join(',') : (connection ?? ''))
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (DROPPED.has(name) || alsoDropped.has(name) || own.includes(name)) continue;
    if (!KEPT.has(name) && !name.startsWith('x-')) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
