import 'reflect-metadata';
import { Controller, Delete, Get, HttpCode, Patch, Post, Put, Req, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { QueueableRequest, RequestQueueModule, type RequestQueueModuleOptions } from '../../../lib/index.js';

import { freePort } from '../../support/free-port.js';
import { listenOn, type AdapterName } from '../../support/nest-app.js';

export { ADAPTERS, type AdapterName } from '../../support/nest-app.js';

interface AnyRequest {
  body: unknown;
}

/** A queueable resource whose handlers just answer: what the security tests send requests to. */
@QueueableRequest()
@Controller('items')
export class ItemsController {
  @Put(':id')
  put(@Req() req: AnyRequest) {
    return { handled: 'put', body: req.body ?? null };
  }

  @Patch(':id')
  patch(@Req() req: AnyRequest) {
    return { handled: 'patch', body: req.body ?? null };
  }

  @Delete(':id')
  @HttpCode(200)
  remove() {
    return { handled: 'delete' };
  }

  @Get(':id')
  get() {
    return { handled: 'get' };
  }

  @Post(':id')
  post() {
    return { handled: 'post' };
  }
}

export interface SecurityApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * A real Nest app on a random 127.0.0.1 port, module configured by `options` (no worker
 * unless `options.worker.enabled`; `baseUrl` is the app itself).
 */
export async function createSecurityApp(
  adapter: AdapterName,
  options: RequestQueueModuleOptions,
): Promise<SecurityApp> {
  const port = await freePort();
  const moduleRef = await Test.createTestingModule({
    imports: [
      RequestQueueModule.forRoot({ secret: 'security-test-secret', baseUrl: `http://127.0.0.1:${port}`, ...options }),
    ],
    controllers: [ItemsController],
  }).compile();
  const app = await listenOn(moduleRef, adapter, port);
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
