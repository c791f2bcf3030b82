import { decodeBody } from '../core/http-body.js';
import { openJob } from '../core/job-seal.js';
import type { SealedBox } from '../core/sealed-box.js';
import type { MemoryJob } from './memory-state.js';

/** A queued request as the worker would replay it (`RequestQueueTester.queued()`). */
export interface QueuedRequest {
  /** The store's id of its job. */
  jobId: string;
  queue: string;
  correlationId: string;
  method: string;
  /** The path without its query string. */
  path: string;
  /** The path with its query string, as the replay requests it (callback parameters removed). */
  url: string;
  /** The query string's parameters (a repeated name gives an array). */
  query: Record<string, string | string[]>;
  /** The headers the replay sends (lower-case names), the correlation header included. */
  headers: Record<string, string>;
  /** The body: parsed when it is JSON, else its text; null when there is none. */
  body: unknown;
  /** The body's bytes as stored, or null. */
  rawBody: Buffer | null;
  /** Where the outcome will be POSTed; empty when the request asked for none (`Prefer: respond-async`). */
  callbackUrl: string;
  /** When the request was accepted. */
  queuedAt: Date;
  /** Replay attempts started so far (more than 0 for a request waiting on a retry). */
  attempts: number;
}

/** Opens a stored replay job with the app's keys (the real sealed box) into what the replay would send. */
export function openQueuedRequest(job: MemoryJob, box: SealedBox, correlationHeader: string): QueuedRequest {
  const p = job.payload;
  const secret = openJob(box, p, 'replay');
  const headers: Record<string, string> = { ...secret.headers, [correlationHeader.toLowerCase()]: p.correlationId };
  const rawBody = secret.body;
  const at = p.path.indexOf('?');
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(at < 0 ? '' : p.path.slice(at + 1))) {
    const had = query[name];
    query[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return {
    jobId: job.id,
    queue: job.queue,
    correlationId: p.correlationId,
    method: p.method,
    path: at < 0 ? p.path : p.path.slice(0, at),
    url: p.path,
    query,
    headers,
    body: rawBody === null ? null : decodeBody(rawBody, headerValue(headers, 'content-type')),
    rawBody,
    callbackUrl: p.callbackUrl,
    queuedAt: new Date(p.queuedAt),
    attempts: job.attempts,
  };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
