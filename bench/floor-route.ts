import { randomUUID } from 'node:crypto';
import {
  Body,
  Controller,
  Inject,
  Injectable,
  Param,
  Put,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { of, type Observable } from 'rxjs';

/** The floors' Redis connection (auto-pipelined, as the library's API connection is). */
export const FLOOR_REDIS = Symbol('FLOOR_REDIS');

/**
 * The floor of any 202 given by a Nest interceptor (issue 14's "queued ≥ 1.2× the peer"):
 * what the queued route would cost if the library's own work cost nothing. The route runs
 * the app's pipeline as the queued route does (body parser, router, interceptor), and the
 * interceptor answers 202 with the same headers and body shape as the library's, without
 * calling the handler:
 * - `/floor/:id` stores nothing (no Redis, no checks, no encryption): the pipeline alone;
 * - `/floor-stored/:id` first stores the raw body with one `SET … NX` (one round trip, the
 *   correlation claim and the job in one command): the least a 202 that keeps the request
 *   and refuses a reused id can do.
 * Neither is a queue; they bound from above what any implementation answering through an
 * interceptor can reach in this benchmark.
 */
@Injectable()
class Floor202Interceptor implements NestInterceptor {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(FLOOR_REDIS) private readonly redis: Redis,
  ) {}

  async intercept(context: ExecutionContext, _next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<{ url: string; body: unknown; headers: Record<string, string | undefined> }>();
    const res = http.getResponse<unknown>();
    const correlationId = req.headers['x-correlation-id'] ?? randomUUID();
    if (req.url.startsWith('/floor-stored/')) {
      const claimed = await this.redis.set(`floor:${correlationId}`, JSON.stringify(req.body), 'PX', 86_400_000, 'NX');
      if (claimed !== 'OK') throw new Error(`correlation id '${correlationId}' was already used`);
    }
    const statusUrl = `/request-queue/status/${correlationId}`;
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(res, 'X-Correlation-ID', correlationId);
    adapter.status(res, 202);
    adapter.setHeader(res, 'Location', statusUrl);
    adapter.setHeader(res, 'Retry-After', '1');
    return of({ correlationId, status: 'queued', statusUrl });
  }
}

@Controller()
@UseInterceptors(Floor202Interceptor)
export class FloorController {
  @Put('floor/:id')
  floor(@Param('id') id: string, @Body() body: Record<string, unknown>) {
    return { ...body, id }; // never runs: the interceptor answers
  }

  @Put('floor-stored/:id')
  floorStored(@Param('id') id: string, @Body() body: Record<string, unknown>) {
    return { ...body, id }; // never runs: the interceptor answers
  }
}
