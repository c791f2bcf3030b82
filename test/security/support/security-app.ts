import 'reflect-metadata';
import { Controller, Delete, Get, HttpCode, Patch, Post, Put, Req, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createServer } from 'node:net';
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { rawBody: true, logger: false })
      : moduleRef.createNestApplication({ rawBody: true, logger: false });
  await app.listen(port, '127.0.0.1');
  if (adapter === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
