import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { RouteQueueOptions } from '../core/request-gate.js';
import { QUEUEABLE_REQUEST } from './request-queue.constants.js';
import { RequestQueueInterceptor } from './request-queue.interceptor.js';

/**
 * Marks a controller or a handler as queueable: a `PATCH`/`PUT`/`DELETE` (see `methods`)
 * carrying `_callback_url` and `_callback_token` is answered 202 and replayed by a worker.
 * Options set here override the module's defaults; a handler's override its controller's.
 */
export function QueueableRequest(options: RouteQueueOptions = {}): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(QUEUEABLE_REQUEST, options), UseInterceptors(RequestQueueInterceptor));
}
