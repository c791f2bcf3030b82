import { randomUUID } from 'node:crypto';
import {
  Controller,
  Get,
  Injectable,
  NotFoundException,
  Param,
  Query,
  Res,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestQueueModule, RequestQueueRuntime, type RequestQueueModuleOptions } from '../../lib/index.js';
import { EchoController, SeenRequests } from '../support/echo.controller.js';
import { freePort } from '../support/free-port.js';
import { ADAPTERS, listenOn } from '../support/nest-app.js';
import { deleteRedisPrefix } from '../support/redis.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

/** The app's own guard: every route needs `x-api-key: yes`. */
@Injectable()
class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers['x-api-key'] === 'yes';
  }
}

/** An app serving the status resources itself, behind its own guard (`serveStatus: false`). */
@Controller('mine')
class MyStatusController {
  constructor(private readonly runtime: RequestQueueRuntime) {}

  @Get('requests/:id')
  async status(
    @Param('id') id: string,
    @Query('sig') sig: string,
    @Res({ passthrough: true }) res: { header(name: string, value: string): unknown },
  ) {
    const answer = await this.runtime.status.read(id, sig);
    if (!answer.found) throw new NotFoundException('no such request');
    if (answer.retryAfterSec) res.header('Retry-After', String(answer.retryAfterSec));
    return answer.view;
  }
}

describe.each(ADAPTERS)('where status resources are served (%s)', (adapter) => {
  const prefix = `rqroute_${randomUUID().slice(0, 8)}`;
  const apps: INestApplication[] = [];

  async function start(options: RequestQueueModuleOptions): Promise<string> {
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [
        RequestQueueModule.forRoot({
          driver: 'redis',
          redis: { url: REDIS_URL, prefix },
          baseUrl: `http://127.0.0.1:${port}`,
          secret: 'route-options-secret',
          ...options,
        }),
      ],
      controllers: [EchoController, MyStatusController],
      providers: [SeenRequests, { provide: APP_GUARD, useClass: ApiKeyGuard }],
    }).compile();
    apps.push(await listenOn(moduleRef, adapter, port));
    return `http://127.0.0.1:${port}`;
  }

  let served: string;
  let own: string;

  beforeAll(async () => {
    served = await start({ statusPath: '/v1/jobs' });
    own = await start({ serveStatus: false, statusPath: '/mine/requests' });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  async function queue(base: string): Promise<string> {
    const res = await fetch(`${base}/echo/1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-api-key': 'yes', prefer: 'respond-async' },
      body: JSON.stringify({ n: 1 }),
    });
    expect(res.status).toBe(202);
    return res.headers.get('location')!;
  }

  it('serves them at statusPath itself, outside the app guard that every route of the app has', async () => {
    const location = await queue(served);
    expect(location).toMatch(/^\/v1\/jobs\/[0-9a-f-]{36}\?sig=/);
    expect((await fetch(`${served}/echo/1`)).status).toBe(403); // the guard is there…
    const res = await fetch(served + location); // …and the status resource is not behind it
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await fetch(`${served}/request-queue/requests/${location.split('/').pop()}`)).status).toBe(404);
  });

  it('with serveStatus: false, leaves them to a guarded controller of the app, reading through RequestQueueRuntime.status', async () => {
    const location = await queue(own);
    expect(location).toMatch(/^\/mine\/requests\/[0-9a-f-]{36}\?sig=/);
    expect((await fetch(`${own}/request-queue/requests/${location.split('/').pop()}`)).status).toBe(404); // not served
    expect((await fetch(own + location)).status).toBe(403);
    const res = await fetch(own + location, { headers: { 'x-api-key': 'yes' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'queued' });
    const forged = location.replace(/sig=[^&]+/, `sig=${'A'.repeat(32)}`);
    expect((await fetch(own + forged, { headers: { 'x-api-key': 'yes' } })).status).toBe(404);
  });
});
