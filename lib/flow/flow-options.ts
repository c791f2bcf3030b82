/**
 * Flow control options (README "Flow control", Laravel's job middleware): how many replays may start per
 * period (`throttle`, as `Redis::throttle(key)->allow(N)->every(S)`), how many may run at
 * once (`funnel`, as `Redis::funnel(key)->limit(N)`), and a deadline after which a request is
 * not tried again (`retryUntil`, as a job's `retryUntil()`). Plain data, shared by the
 * decorator, the module options and the gate.
 */

/**
 * The request a flow key is computed from, at the 202: the HTTP adapter's own request
 * object (Express or Fastify), so `params`, `user` (set by a guard) and the headers are
 * there. The key is computed once, stored with the job (hashed), and the worker never
 * needs the request object.
 */
export interface FlowRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Route parameters (`:id`), as the adapter parsed them. */
  params?: Record<string, string>;
  /** Whatever an auth guard put there (Passport's `req.user`). */
  user?: unknown;
  body?: unknown;
  [field: string]: unknown;
}

/** Computes the key a limit is counted per (a user id, a tenant, a path parameter). */
export type FlowKey = (req: FlowRequest) => string | number;

/** At most `allow` replays start per `every` ms (a sliding window), per `key` when given. */
export interface ThrottleOptions {
  allow: number;
  /** The period, ms. */
  every: number;
  /** Count per this key (computed at the 202) instead of one count for the whole route or queue. */
  key?: FlowKey;
}

/** At most `limit` replays run at once, per `key` when given. */
export interface FunnelOptions {
  limit: number;
  /** Count per this key (computed at the 202) instead of one count for the whole route or queue. */
  key?: FlowKey;
  /** How long a job that found the funnel full waits before it looks again, ms [1000]. */
  retryAfter?: number;
}

/** Flow control of one route (`@QueueableRequest()`) or one queue (module option `flow`). */
export interface FlowOptions {
  throttle?: ThrottleOptions;
  funnel?: FunnelOptions;
}

/** What a replay job carries of its flow control (`JobPayload.flow`): no secrets, keys hashed. */
export interface JobFlow {
  throttle?: { bucket: string; allow: number; every: number };
  funnel?: { bucket: string; limit: number; retryAfter: number };
}
