import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Injectable,
  Param,
  Patch,
  Post,
  Put,
  Req,
  Res,
  HttpException,
} from '@nestjs/common';
import { QueueableRequest } from '../../lib/index.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  raw: string | undefined;
}

/** Records what the handlers were called with (the replays included). */
@Injectable()
export class SeenRequests {
  readonly list: SeenRequest[] = [];
}

interface AnyRequest {
  method: string;
  originalUrl?: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  rawBody?: Buffer;
}

function record(seen: SeenRequests, req: AnyRequest): SeenRequest {
  const entry = {
    method: req.method,
    url: req.originalUrl ?? req.url,
    headers: req.headers,
    body: req.body,
    raw: req.rawBody?.toString('utf8'),
  };
  seen.list.push(entry);
  return entry;
}

/** Handlers that echo what they got, on a queueable controller. */
@QueueableRequest()
@Controller('echo')
export class EchoController {
  constructor(private readonly seen: SeenRequests) {}

  @Put(':id')
  put(@Param('id') id: string, @Req() req: AnyRequest) {
    const e = record(this.seen, req);
    return { id, method: e.method, body: e.body };
  }

  @Patch(':id')
  patch(@Param('id') id: string, @Req() req: AnyRequest) {
    const e = record(this.seen, req);
    return { id, method: e.method, body: e.body };
  }

  @Delete(':id')
  @HttpCode(200)
  remove(@Param('id') id: string, @Req() req: AnyRequest) {
    record(this.seen, req);
    return { id, deleted: true };
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return { id };
  }

  @Post(':id')
  post(@Param('id') id: string, @Req() req: AnyRequest) {
    record(this.seen, req);
    return { id, created: true };
  }
}

/** `PUT /status/:code` answers that status (to drive retries and final outcomes). */
@QueueableRequest({ tries: 3, backoff: { type: 'fixed', delay: 50 } })
@Controller('status')
export class StatusController {
  constructor(private readonly seen: SeenRequests) {}

  @Put(':code')
  answer(@Param('code') code: string, @Req() req: AnyRequest) {
    record(this.seen, req);
    const status = Number(code);
    if (status >= 400) throw new HttpException({ statusCode: status, message: `answered ${status}` }, status);
    return { status };
  }
}

/** A route without the decorator: the bare baseline. */
@Controller('bare')
export class BareController {
  @Put(':id')
  put(@Param('id') id: string) {
    return { id };
  }
}

/** Per-route overrides: its own queue, a delay before the first replay, a short replay timeout. */
@Controller('routed')
export class RoutedController {
  constructor(private readonly seen: SeenRequests) {}

  @Put('delayed/:id')
  @QueueableRequest({ queue: 'e2e-delayed', delay: 400 })
  delayed(@Param('id') id: string, @Req() req: AnyRequest) {
    record(this.seen, req);
    return { id, at: Date.now() };
  }

  /** Takes 100 ms, then answers: a backlog of these keeps a worker busy for a known time. */
  @Put('paced/:id')
  @QueueableRequest()
  async paced(@Param('id') id: string, @Req() req: AnyRequest) {
    record(this.seen, req);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { id };
  }

  @Put('slow/:id')
  @QueueableRequest({ tries: 2, timeout: 150, backoff: { type: 'fixed', delay: 10 } })
  async slow(@Param('id') id: string, @Req() req: AnyRequest) {
    record(this.seen, req);
    await new Promise((resolve) => setTimeout(resolve, 600));
    return { id };
  }
}

/**
 * `PUT /flaky/:key/:failures` answers 503 to its first `failures` calls per key, then 200
 * with an `ETag` (a response header the outcome keeps) and a body that carry the key; each call takes 250 ms, and a retry
 * waits 700 ms, so a poller sees every state a request goes through.
 */
@QueueableRequest({ tries: 3, backoff: { type: 'fixed', delay: 700 } })
@Controller('flaky')
export class FlakyController {
  private readonly calls = new Map<string, number>();

  constructor(private readonly seen: SeenRequests) {}

  @Put(':key/:failures')
  async put(
    @Param('key') key: string,
    @Param('failures') failures: string,
    @Req() req: AnyRequest,
    @Res({ passthrough: true }) res: { header(name: string, value: string): unknown },
  ) {
    record(this.seen, req);
    const call = (this.calls.get(key) ?? 0) + 1;
    this.calls.set(key, call);
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (call <= Number(failures)) throw new HttpException({ statusCode: 503, message: `call ${call} of ${key}` }, 503);
    res.header('etag', `"answer-${key}"`);
    return { key, call, body: req.body };
  }
}
