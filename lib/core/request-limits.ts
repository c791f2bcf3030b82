import type { HeaderMap } from './header-filter.js';
import type { CapturedRequest } from './request-capture.js';

/** Limits on what one queued request may store (checked before anything is stored). */
export interface RequestLimits {
  /** Largest stored body, in bytes. */
  maxBodyBytes: number;
  /** Largest total of the stored headers (`name: value\r\n` each, after filtering), in bytes. */
  maxHeaderBytes: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

export type LimitReason = 'body-too-large' | 'headers-too-large' | 'unsupported-media-type';

export interface LimitRefusal {
  reason: LimitReason;
  field: 'body' | 'headers' | 'content-type';
  message: string;
}

/** True when the request says it has a body (a non-zero `Content-Length`, or chunked). */
function declaresBody(headers: HeaderMap): boolean {
  const length = headers['content-length'];
  if (length !== undefined && length !== '0') return true;
  return headers['transfer-encoding'] !== undefined;
}

/**
 * Checks a captured request against the limits before it is stored: a body over
 * `maxBodyBytes` (413), stored headers over `maxHeaderBytes` (431), or a body the adapter
 * did not hand over in a form that can be replayed intact — e.g. `text/plain` on Express
 * without a parser for it — (415) are refused. Returns null when the request may be stored.
 */
export function checkQueuedRequest(
  headers: HeaderMap,
  captured: CapturedRequest,
  limits: RequestLimits,
): LimitRefusal | null {
  if (captured.body === null) {
    if (declaresBody(headers)) {
      const type = headers['content-type'] ?? 'no content type';
      return {
        reason: 'unsupported-media-type',
        field: 'content-type',
        message: `a request with a ${String(type)} body cannot be queued: send application/json or application/x-www-form-urlencoded`,
      };
    }
  } else if (captured.body.length > limits.maxBodyBytes) {
    return {
      reason: 'body-too-large',
      field: 'body',
      message: `the body is ${captured.body.length} bytes; a queued request may have at most ${limits.maxBodyBytes}`,
    };
  }
  let headerBytes = 0;
  for (const name in captured.headers) headerBytes += name.length + captured.headers[name]!.length + 4;
  if (headerBytes > limits.maxHeaderBytes) {
    return {
      reason: 'headers-too-large',
      field: 'headers',
      message: `the headers to store are ${headerBytes} bytes; a queued request may have at most ${limits.maxHeaderBytes}`,
    };
  }
  return null;
}
