import { Controller, Delete, Param, Patch, Put, Req } from '@nestjs/common';
import { QueueableRequest } from 'nestjs-request-queue';

/** What the handlers read from the request (the same on Express and Fastify). */
export interface IncomingRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  body?: unknown;
  /** The body as it came, with `rawBody: true` in main.ts. */
  rawBody?: Buffer;
}

/** Slow writes, answered 202 when the client asks for a callback; each echoes what it got (raw body included). */
@QueueableRequest()
@Controller('echo')
export class EchoController {
  @Put(':id')
  replace(@Param('id') id: string, @Req() req: IncomingRequest) {
    return echo(id, req);
  }

  @Patch(':id')
  update(@Param('id') id: string, @Req() req: IncomingRequest) {
    return echo(id, req);
  }

  @Delete(':id')
  remove(@Param('id') id: string, @Req() req: IncomingRequest) {
    return echo(id, req);
  }
}

function echo(id: string, req: IncomingRequest) {
  return {
    id,
    method: req.method,
    contentType: req.headers['content-type'] ?? null,
    query: { ...(req.query as object) },
    body: req.body ?? null,
    raw: req.rawBody ? req.rawBody.toString('utf8') : null,
  };
}
