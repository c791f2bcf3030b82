import type { RouteQueueOptions } from './request-gate.js';
import { checkFunnel, checkRetryUntil, checkThrottle } from '../flow/flow-settings.js';

/** A `@QueueableRequest()` route as the app declares it. */
export interface QueueableRoute {
  /** `PUT /user/:id` (the controller's and the handler's paths, without a global prefix). */
  name: string;
  /** The route's options over its controller's (`@QueueableRequest()` on both). */
  options: RouteQueueOptions;
}

/** What the checks compare the routes with, from the module's resolved options. */
export interface RouteCheckSettings {
  /** The module's default queue. */
  queue: string;
  /** The queues that workers configured from these options consume (`worker.queues`). */
  workerQueues: readonly string[];
  /** The module's replay timeout, ms. */
  timeout: number;
  /** The database driver's lease (`database.retryAfter`), ms; undefined on other drivers. */
  lease?: number;
  /** The lease a given longest attempt gets by default (`database.retryAfter`'s default). */
  defaultLease(longestAttempt: number): number;
}

/**
 * Warnings about routes that cannot work as declared, with the fix: a queue no worker
 * takes jobs from (its requests would wait forever), and a replay timeout that outlives
 * the database lease. Plain data in, sentences out; run once at startup.
 */
export function checkQueueableRoutes(routes: readonly QueueableRoute[], settings: RouteCheckSettings): string[] {
  const warnings: string[] = [];
  const unconsumed = new Map<string, string[]>();
  for (const route of routes) {
    const queue = route.options.queue ?? settings.queue;
    if (!settings.workerQueues.includes(queue)) unconsumed.set(queue, [...(unconsumed.get(queue) ?? []), route.name]);
  }
  for (const [queue, names] of unconsumed) {
    warnings.push(
      `no worker consumes queue '${queue}' (used by ${names.join(', ')}): its requests get 202 and are never replayed; ` +
        `add it to worker.queues or run request-queue work --queue ${[queue, ...settings.workerQueues].join(',')}`,
    );
  }
  if (settings.lease !== undefined) {
    for (const route of routes) {
      const timeout = route.options.timeout ?? settings.timeout;
      if (timeout < settings.lease) continue;
      warnings.push(
        `${route.name} has a replay timeout of ${timeout} ms, not shorter than the database lease ` +
          `(database.retryAfter ${settings.lease} ms): if its worker cannot renew the lease, a second worker may run ` +
          `the same request; set database.retryAfter to ${settings.defaultLease(timeout)} ms or more, or shorten the route's timeout`,
      );
    }
  }
  warnings.push(...checkRouteFlow(routes)); // lib/flow
  return warnings;
}

/**
 * Flow control options (throttle, funnel, retryUntil) that cannot work: a count or a
 * period that is not a positive integer. Such a route cannot queue (its requests get 500),
 * so say it at startup.
 */
function checkRouteFlow(routes: readonly QueueableRoute[]): string[] {
  const warnings: string[] = [];
  for (const route of routes) {
    const { throttle, funnel, retryUntil } = route.options;
    try {
      if (throttle) checkThrottle(throttle, route.name);
      if (funnel) checkFunnel(funnel, route.name);
      if (retryUntil !== undefined) checkRetryUntil(retryUntil, route.name);
    } catch (err) {
      warnings.push(`${(err as Error).message}: its queued requests cannot be stored (500) until it is fixed`);
    }
  }
  return warnings;
}
