import 'reflect-metadata';
import { Body, Controller, Get, Module, Param, Put, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { QueueableRequest, RequestQueueModule } from '../lib/index.js';

/**
 * The app under benchmark (run as a child process by interceptor.bench.ts): the same
 * handler twice, once bare and once behind `@QueueableRequest()`. API only, no worker.
 */
const users = new Map<string, Record<string, unknown>>();

function update(id: string, body: Record<string, unknown>) {
  const user = { ...users.get(id), ...body, id };
  users.set(id, user);
  return user;
}

@Controller('bare')
class BareController {
  @Get(':id')
  get(@Param('id') id: string) {
    return users.get(id) ?? { id };
  }

  @Put(':id')
  put(@Param('id') id: string, @Body() body: Record<string, unknown>) {
    return update(id, body);
  }
}

@QueueableRequest()
@Controller('queued')
class QueuedController {
  @Get(':id')
  get(@Param('id') id: string) {
    return users.get(id) ?? { id };
  }

  @Put(':id')
  put(@Param('id') id: string, @Body() body: Record<string, unknown>) {
    return update(id, body);
  }
}

@Module({})
class BenchModule {
  static register(prefix: string): DynamicModule {
    return {
      module: BenchModule,
      imports: [
        RequestQueueModule.forRoot({
          driver: 'redis',
          redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix },
          secret: 'bench-secret',
        }),
      ],
      controllers: [BareController, QueuedController],
    };
  }
}

async function main(): Promise<void> {
  const [adapter, port, prefix] = process.argv.slice(2) as [string, string, string];
  const module = BenchModule.register(prefix);
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { rawBody: true, logger: false })
      : await NestFactory.create(module, { rawBody: true, logger: false });
  app.enableShutdownHooks();
  await app.listen(Number(port), '127.0.0.1');
  process.send?.('ready');
}

void main();
