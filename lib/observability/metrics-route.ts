import type { AbstractHttpAdapter } from '@nestjs/core';
import type { MetricsRegistry } from './prom-client-api.js';

/**
 * Serves `GET <path>` with the registry in the Prometheus text format, straight on the HTTP
 * adapter (Express or Fastify): outside the app's guards and global prefix, like any
 * `/metrics` (keep it off the public network, or leave `metrics.endpoint` off and serve the
 * registry from a guarded controller of your own).
 */
export function serveMetricsRoute(adapter: AbstractHttpAdapter, path: string, registry: MetricsRegistry): void {
  adapter.get(path, async (_req: unknown, res: unknown): Promise<unknown> => {
    adapter.setHeader(res, 'Cache-Control', 'no-store');
    try {
      const text = await registry.metrics();
      adapter.setHeader(res, 'Content-Type', registry.contentType);
      return adapter.reply(res, text, 200);
    } catch (err) {
      adapter.setHeader(res, 'Content-Type', 'text/plain; charset=utf-8');
      return adapter.reply(res, `metrics could not be collected: ${(err as Error).message}\n`, 500);
    }
  });
}
