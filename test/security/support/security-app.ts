import 'reflect-metadata';
import { Controller, Delete, Get, HttpCode, Patch, Post, Put, Req, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { QueueableRequest, RequestQueueModule, type RequestQueueModuleOptions } from '../../../lib/index.js';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];

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

/** A real Nest app (no worker) on a random 127.0.0.1 port, module configured by `options`. */
export async function createSecurityApp(adapter: AdapterName, options: RequestQueueModuleOptions): Promise<SecurityApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [RequestQueueModule.forRoot({ secret: 'security-test-secret', ...options })],
    controllers: [ItemsController],
  }).compile();
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { rawBody: true, logger: false })
      : moduleRef.createNestApplication({ rawBody: true, logger: false });
  await app.listen(0, '127.0.0.1');
  if (adapter === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
