import { createHmac } from 'node:crypto';
import type { FlowOptions, FlowRequest, FunnelOptions, JobFlow, ThrottleOptions } from './flow-options.js';

/** How long a job that found its funnel full waits before it looks again, unless `retryAfter` says. */
export const DEFAULT_FUNNEL_RETRY_MS = 1000;

/** A flow option that cannot work; the message names it (thrown at startup or at the 202). */
export class FlowOptionError extends Error {
  override readonly name = 'FlowOptionError';
}

/**
 * What the job stores of its flow control, computed at the 202: the limits, and for each
 * a bucket name — the scope (the route or the queue) and the key computed from `req`,
 * hashed with `hashKey` (an HMAC with the app's secret), so no user id or token is stored
 * in clear and a bucket cannot be guessed from the outside. Undefined when no limit applies.
 */
export function jobFlow(
  options: FlowOptions | undefined,
  scope: string,
  req: FlowRequest,
  hashKey: Buffer,
): JobFlow | undefined {
  if (!options || (!options.throttle && !options.funnel)) return undefined;
  const flow: JobFlow = {};
  if (options.throttle) {
    const { allow, every } = checkThrottle(options.throttle, scope);
    flow.throttle = { bucket: bucket('t', scope, options.throttle.key?.(req), hashKey), allow, every };
  }
  if (options.funnel) {
    const { limit, retryAfter } = checkFunnel(options.funnel, scope);
    flow.funnel = { bucket: bucket('f', scope, options.funnel.key?.(req), hashKey), limit, retryAfter };
  }
  return flow;
}

/** Checks a throttle's numbers; throws `FlowOptionError` naming the bad one. */
export function checkThrottle(t: ThrottleOptions, scope: string): { allow: number; every: number } {
  positive(`${scope}: throttle.allow`, t.allow);
  positive(`${scope}: throttle.every`, t.every);
  return { allow: t.allow, every: t.every };
}

/** Checks a funnel's numbers; throws `FlowOptionError` naming the bad one. */
export function checkFunnel(f: FunnelOptions, scope: string): { limit: number; retryAfter: number } {
  positive(`${scope}: funnel.limit`, f.limit);
  const retryAfter = f.retryAfter ?? DEFAULT_FUNNEL_RETRY_MS;
  positive(`${scope}: funnel.retryAfter`, retryAfter);
  return { limit: f.limit, retryAfter };
}

/** Checks `retryUntil` (ms from the 202); throws `FlowOptionError` when it is not a positive integer. */
export function checkRetryUntil(ms: number, scope: string): number {
  positive(`${scope}: retryUntil`, ms);
  return ms;
}

function positive(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new FlowOptionError(`${name} must be a positive integer (got ${String(value)})`);
  }
}

/** `t:`/`f:` + a keyed hash of the scope and the key: short, opaque, the same in every process. */
function bucket(kind: 't' | 'f', scope: string, key: string | number | undefined, hashKey: Buffer): string {
  const text = key === undefined ? scope : `${scope}\n${String(key)}`;
  return `${kind}:${createHmac('sha256', hashKey).update(text).digest('base64url').slice(0, 32)}`;
}
