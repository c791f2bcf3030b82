import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { RequestQueueModule, type RequestQueueModuleOptions } from '../../lib/index.js';
import {
  BareController,
  EchoController,
  FlakyController,
  RoutedController,
  SeenRequests,
  StatusController,
} from './echo.controller.js';
import { freePort } from './free-port.js';

import { listenOn, type AdapterName } from './nest-app.js';

export { ADAPTERS, type AdapterName } from './nest-app.js';

export interface TestApp {
  app: INestApplication;
  url: string;
  seen: SeenRequests;
  close(): Promise<void>;
}

/**
 * A real Nest app (Express or Fastify) on a random port with the test controllers, the
 * module configured by `options`, and by default a worker in the same process replaying
 * against the app itself. Silent unless a `logger` is given.
 */
export async function createTestApp(
  adapter: AdapterName,
  options: RequestQueueModuleOptions,
  logger: LoggerService | false = false,
): Promise<TestApp> {
  const port = await freePort();
  const moduleRef = await Test.createTestingModule({
    imports: [
      RequestQueueModule.forRoot({
        baseUrl: `http://127.0.0.1:${port}`,
        secret: 'test-secret',
        ...options,
        worker: {
          enabled: true,
          queues: ['api:request', 'e2e-delayed'],
          concurrency: 4,
          gracePeriod: 2000,
          ...options.worker,
        },
      }),
    ],
    controllers: [EchoController, StatusController, BareController, RoutedController, FlakyController],
    providers: [SeenRequests],
  }).compile();
  const app = await listenOn(moduleRef, adapter, port, logger);
  return { app, url: `http://127.0.0.1:${port}`, seen: app.get(SeenRequests), close: () => app.close() };
}
