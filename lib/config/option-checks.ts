import { baseQueue, isCallbackLane } from '../core/callback-lane.js';
import { RequestQueueConfigError } from '../core/errors.js';
import { REPLAY_MARKER_HEADER } from '../core/replay-marker.js';

/**
 * The checks `resolveOptions` (lib/request-queue.options.ts) runs on single settings: each
 * returns the value (normalised where it says so) or throws a `RequestQueueConfigError`
 * that names the setting, what it must be and what it got.
 */

/** A path of literal segments: `/a/b-c`, no parameters, wildcards, query or trailing slash. */
const PLAIN_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/** Whether `value` is a path of literal segments (`PLAIN_PATH`), as routes the module serves need. */
export function isPlainPath(value: unknown): value is string {
  return typeof value === 'string' && PLAIN_PATH.test(value);
}

export function statusPath(value: unknown, example: string): string {
  if (!isPlainPath(value)) {
    throw new RequestQueueConfigError(
      `statusPath must be an absolute path of plain segments (letters, digits, '.', '_', '~', '-'), without a trailing slash, e.g. '${example}' (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** An HTTP field name (RFC 9110 §5.1: a token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Headers that cannot carry the correlation id: the replay marker, and headers that the
 * HTTP stack or the replay sets itself (they would be dropped or rewritten on the replay).
 */
const RESERVED_HEADERS = new Set([
  REPLAY_MARKER_HEADER,
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'cookie',
  'authorization',
]);

export function headerName(name: string, value: unknown): string {
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
    throw new RequestQueueConfigError(
      `${name} must be an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~), e.g. 'X-Request-Queue-ID' (got ${JSON.stringify(value)})`,
    );
  }
  if (RESERVED_HEADERS.has(value.toLowerCase())) {
    throw new RequestQueueConfigError(
      `${name} cannot be '${value}': that header is set by HTTP or by the request queue itself; pick a header of your own, e.g. 'X-Request-Queue-ID'`,
    );
  }
  return value;
}

export function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new RequestQueueConfigError(`${name} must be true or false (got ${JSON.stringify(value)})`);
  }
  return value;
}

export function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RequestQueueConfigError(`${name} must be a positive integer (got ${value})`);
  return value;
}

/** `worker.gracePeriod` as given: undefined, or a number of ms (0 and up). */
export function configuredGrace(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RequestQueueConfigError(
      `worker.gracePeriod must be a number of ms, 0 or more (got ${typeof value === 'number' ? value : JSON.stringify(value)})`,
    );
  }
  return value;
}

/** A queue users name: not a callback lane (`<queue>#callbacks`), which the library keeps for deliveries. */
export function queueName(name: string, value: string): string {
  if (isCallbackLane(value)) {
    throw new RequestQueueConfigError(
      `${name} cannot be '${value}': that is the callback lane of queue '${baseQueue(value)}', where the library stores callback deliveries; name the queue itself`,
    );
  }
  return value;
}

/** A value as a message shows it: strings quoted, anything else as JavaScript prints it. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A delay: a whole number of milliseconds, 0 or more. */
export function delayMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RequestQueueConfigError(`${name} must be a whole number of ms, 0 or more (got ${shown(value)})`);
  }
  return value;
}

export function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new RequestQueueConfigError(`${name} must be a non-empty string (got ${shown(value)})`);
  }
  return value;
}

/** A list of non-empty strings (`what` names them in the message); `[]` allowed unless `atLeastOne` names one. */
export function stringList(name: string, value: unknown, what: string, atLeastOne?: string): string[] {
  const ok = Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '');
  if (!ok) throw new RequestQueueConfigError(`${name} must be a list of ${what} (got ${shown(value)})`);
  if (atLeastOne !== undefined && value.length === 0) {
    throw new RequestQueueConfigError(`${name} must list at least one ${atLeastOne}`);
  }
  return value as string[];
}

/** The queued methods: HTTP method names (tokens), at least one; upper-cased. */
export function httpMethods(value: unknown): Set<string> {
  const ok =
    Array.isArray(value) && value.length > 0 && value.every((m) => typeof m === 'string' && HEADER_NAME.test(m));
  if (!ok) {
    throw new RequestQueueConfigError(
      `methods must be a list of HTTP methods, at least one, e.g. ['PATCH', 'PUT', 'DELETE'] (got ${JSON.stringify(value)})`,
    );
  }
  return new Set((value as string[]).map((m) => m.toUpperCase()));
}

/** Delays of the callback schedule: whole numbers of ms, 0 or more. */
export function retryDelays(value: unknown): number[] {
  if (!Array.isArray(value) || !value.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw new RequestQueueConfigError(
      `callback.retryDelays must be a list of whole numbers of ms, 0 or more, e.g. [5000, 300000] (got ${JSON.stringify(value)})`,
    );
  }
  return value as number[];
}
