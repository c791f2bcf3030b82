import { randomUUID } from 'node:crypto';
import { InjectQueue } from '@nestjs/bull';
import { Body, Controller, ConflictException, Headers, HttpCode, Inject, Param, Put, Req } from '@nestjs/common';
import type { Queue } from 'bull';
import type { Redis } from 'ioredis';

/** The peer's own Redis connection (for the correlation claim) and its Bull queue's name. */
export const PEER_REDIS = Symbol('PEER_REDIS');
export const PEER_QUEUE = 'peer';

/**
 * The route a Nest user writes by hand with `@nestjs/bull` (issue 14's "hand-written peer"):
 * `SET NX` of the correlation id (409 when it is taken), then `queue.add` of the request,
 * then 202. No encryption, no status record, no callback checks: the floor a library must beat.
 */
@Controller('peer')
export class PeerController {
  constructor(
    @InjectQueue(PEER_QUEUE) private readonly queue: Queue,
    @Inject(PEER_REDIS) private readonly redis: Redis,
  ) {}

  @Put(':id')
  @HttpCode(202)
  async put(
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Headers('x-correlation-id') header: string | undefined,
    @Req() req: { method: string; url: string; headers: Record<string, unknown> },
  ) {
    const correlationId = header ?? randomUUID();
    const claimed = await this.redis.set(`${PEER_QUEUE}:cid:${correlationId}`, '1', 'PX', 86_400_000, 'NX');
    if (claimed !== 'OK') throw new ConflictException(`correlation id '${correlationId}' was already used`);
    const job = await this.queue.add({
      id,
      method: req.method,
      url: req.url,
      headers: req.headers,
      body,
      correlationId,
    });
    return { correlationId, status: 'queued', jobId: job.id };
  }
}
