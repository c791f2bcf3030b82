import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { RouteQueueOptions } from '../core/request-gate.js';
import { QUEUEABLE_REQUEST } from './request-queue.constants.js';
import { RequestQueueInterceptor } from './request-queue.interceptor.js';

/**
 * Marks a controller or a handler as queueable: a `PATCH`/`PUT`/`DELETE` (see `methods`)
 * carrying `_callback_url` and `_callback_token` is answered 202 and replayed by a worker.
 * Options set here override the module's defaults; a handler's override its controller's.
 *
 * Flow control (README): `throttle: { allow: 10, every: 60_000, key: (req) => req.params.id }`
 * (at most 10 replays start per minute, per id), `funnel: { limit: 1, key: (req) => … }` (one
 * at a time per key), `retryUntil: 3_600_000` (no attempt later than an hour after the 202).
 * Keys are computed at the 202 and stored hashed; a job held back is not an attempt.
 */
export function QueueableRequest(options: RouteQueueOptions = {}): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(QUEUEABLE_REQUEST, options), UseInterceptors(RequestQueueInterceptor));
}
