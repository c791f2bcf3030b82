import type { INestApplication, LoggerService } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { TestingModule } from '@nestjs/testing';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['express', 'fastify'];

/**
 * Creates the app on Express or Fastify (raw bodies kept, no logs unless a `logger` is
 * given) and listens on 127.0.0.1:`port`.
 */
export async function listenOn(
  moduleRef: TestingModule,
  adapter: AdapterName,
  port: number,
  logger: LoggerService | false = false,
): Promise<INestApplication> {
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { rawBody: true, logger })
      : moduleRef.createNestApplication({ rawBody: true, logger });
  await app.listen(port, '127.0.0.1');
  if (adapter === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
  return app;
}
