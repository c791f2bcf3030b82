import { Agent, request } from 'undici';
import type { JobPayload, SealedRequest } from './job.js';
import { decodeBody, describeError, MAX_KEPT_BODY_BYTES, readLimited } from './http-body.js';
import type { ReplayResult } from './outcome.js';
import { REPLAY_MARKER_HEADER, signReplayMarker } from './replay-marker.js';
import { TRACE_HEADERS, type TraceCarrier } from '../observability/queue-tracer.js';

/** Response headers passed on to the callback. */
const KEPT_RESPONSE_HEADERS = ['content-type', 'location', 'etag', 'last-modified', 'retry-after'];

/**
 * Replays a stored request against the app's own `baseUrl`, with a signed marker so the
 * interceptor lets it through to the handler. Request data is only ever URL, method,
 * headers and body: nothing from the client steers the HTTP client's options.
 */
export class ReplayClient {
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 128 });
  private readonly base: URL;
  private readonly correlationHeader: string;

  /** `correlationHeader` carries the id on the replay: the header the gate reads it from. */
  constructor(
    baseUrl: string,
    private readonly markerKey: Buffer,
    correlationHeader = 'X-Correlation-ID',
  ) {
    this.base = new URL(baseUrl);
    this.correlationHeader = correlationHeader.toLowerCase();
  }

  /** `trace`: the trace context the replay carries (the worker's span), in place of any stored one. */
  async replay(job: JobPayload, secret: SealedRequest, trace?: TraceCarrier): Promise<ReplayResult> {
    const url = this.target(job.path);
    if (!url) return { type: 'error', error: 'refusing to replay: the stored path does not stay on baseUrl' };
    const headers: Record<string, string> = {
      ...withoutTraceHeaders(secret.headers),
      ...trace,
      [this.correlationHeader]: job.correlationId,
      [REPLAY_MARKER_HEADER]: signReplayMarker(this.markerKey, job.correlationId, job.method, job.path),
    };
    try {
      const res = await request(url, {
        method: job.method as 'PUT',
        headers,
        body: secret.body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(job.timeout),
      });
      const kept: Record<string, string> = {};
      for (const name of KEPT_RESPONSE_HEADERS) {
        const v = res.headers[name];
        if (v !== undefined) kept[name] = Array.isArray(v) ? v.join(', ') : v;
      }
      const bytes = await readLimited(res.body, MAX_KEPT_BODY_BYTES);
      return { type: 'response', status: res.statusCode, headers: kept, body: decodeBody(bytes, kept['content-type']) };
    } catch (err) {
      return { type: 'error', error: describeError(err) };
    }
  }

  /**
   * The replay URL: the path appended to the origin, never resolved against it (resolved,
   * `//host/x` or `/\host/x` would name another host). Null if it would leave `baseUrl`.
   */
  private target(path: string): URL | null {
    try {
      const url = new URL(`${this.base.origin}${path.startsWith('/') ? '' : '/'}${path}`);
      return url.origin === this.base.origin ? url : null;
    } catch {
      return null;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** The stored headers without trace context: the replay carries the worker's own. */
function withoutTraceHeaders(headers: Record<string, string>): Record<string, string> {
  if (!TRACE_HEADERS.some((name) => name in headers)) return headers;
  const rest = { ...headers };
  for (const name of TRACE_HEADERS) delete rest[name];
  return rest;
}
