import type { AbstractHttpAdapter } from '@nestjs/core';
import { CAPABILITY_PARAM } from '../core/status-links.js';
import type { RequestStatusReader } from '../core/status-reader.js';
import { StoreUnavailableError } from '../core/errors.js';

/** The fields Express and Fastify requests share that the status route reads. */
interface StatusRequest {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
}

/** One answer for every request that may not read a status: unknown id, wrong or missing capability. */
const NOT_FOUND = { statusCode: 404, error: 'Not Found', message: 'no such request' };

/**
 * Serves `GET <path>/:id` (README "Where is my request?") straight on the HTTP adapter (Express or Fastify), so
 * the app's own guards, interceptors and global prefix do not apply: the capability in the
 * URL (`?sig=`) is what protects it. Answers are never cached (`Cache-Control: no-store`).
 */
export function serveStatusRoute(adapter: AbstractHttpAdapter, path: string, reader: RequestStatusReader): void {
  adapter.get(`${path}/:id`, async (req: StatusRequest, res: unknown): Promise<unknown> => {
    adapter.setHeader(res, 'Cache-Control', 'no-store');
    const id = req.params?.id;
    const capability = req.query?.[CAPABILITY_PARAM];
    try {
      const answer = typeof id === 'string' ? await reader.read(id, capability) : { found: false as const };
      if (!answer.found) return adapter.reply(res, NOT_FOUND, 404);
      if (answer.retryAfterSec !== undefined) adapter.setHeader(res, 'Retry-After', String(answer.retryAfterSec));
      return adapter.reply(res, answer.view, 200);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      adapter.setHeader(res, 'Retry-After', '5');
      return adapter.reply(
        res,
        { statusCode: 503, error: 'Service Unavailable', message: 'the request queue is unavailable, try again later' },
        503,
      );
    }
  });
}
