import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';

/**
 * The API (`nest start`, `npm run start:api`). With `REQUEST_QUEUE_INLINE_WORKER=true`
 * (what `npm start` sets) it also runs the worker, for the demo. `HTTP_ADAPTER=fastify`
 * switches from Express to Fastify.
 */
async function bootstrap(): Promise<void> {
  const module = AppModule.register({ worker: process.env.REQUEST_QUEUE_INLINE_WORKER === 'true' });
  const app =
    process.env.HTTP_ADAPTER === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { rawBody: true })
      : await NestFactory.create(module, { rawBody: true });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  new Logger('SampleApp').log(`listening on http://127.0.0.1:${port}`);
}

void bootstrap();
