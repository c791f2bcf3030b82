import 'reflect-metadata';
import { Body, Controller, Get, Module, Param, Put, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { BullModule } from '@nestjs/bull';
import { Redis } from 'ioredis';
import { QueueableRequest, RequestQueueModule } from '../lib/index.js';
import { registerBenchSdk } from './observed-sdk.js';
import { PEER_QUEUE, PEER_REDIS, PeerController } from './peer-route.js';

/**
 * The app under benchmark (run as a child process by interceptor.bench.ts): the same
 * handler twice, once bare and once behind `@QueueableRequest()`, and the hand-written
 * `@nestjs/bull` peer (`peer-route.ts`). API only, no worker.
 * Arguments `pair <port2>` register an OpenTelemetry SDK and serve the app twice: with
 * metrics and tracing off on the port, and on at port2.
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
  /** `observed`: metrics on (prom-client's global registry) and tracing on, with an SDK registered; else both off. */
  static register(prefix: string, observed: boolean): DynamicModule {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    // The peer only in the first app (the pair compares metrics and tracing on the queued route).
    const peer = !observed;
    return {
      module: BenchModule,
      imports: [
        ...(peer ? [BullModule.forRoot({ redis: url, prefix }), BullModule.registerQueue({ name: PEER_QUEUE })] : []),
        RequestQueueModule.forRoot({
          driver: 'redis',
          redis: { url, prefix },
          secret: 'bench-secret',
          ...(observed ? { metrics: {} } : { tracing: false }),
        }),
      ],
      controllers: [BareController, QueuedController, ...(peer ? [PeerController] : [])],
      providers: peer ? [{ provide: PEER_REDIS, useFactory: () => new Redis(url, { keyPrefix: `${prefix}:` }) }] : [],
    };
  }
}

async function listen(adapter: string, port: number, module: DynamicModule): Promise<void> {
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { rawBody: true, logger: false })
      : await NestFactory.create(module, { rawBody: true, logger: false });
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
}

async function main(): Promise<void> {
  const [adapter, port, prefix, variant, secondPort] = process.argv.slice(2) as (string | undefined)[] as [
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  if (variant === 'pair') {
    // One process, one OpenTelemetry SDK, two apps: metrics and tracing off on `port`, on at
    // `secondPort`. Loaded one at a time, the process's CPU time per request compares the two
    // without the noise between processes.
    registerBenchSdk();
    await listen(adapter, Number(port), BenchModule.register(prefix, false));
    await listen(adapter, Number(secondPort), BenchModule.register(prefix, true));
  } else {
    await listen(adapter, Number(port), BenchModule.register(prefix, false));
  }
  // The parent asks for this process's CPU time around a load: CPU per request is steadier
  // than requests per second on a machine other work shares.
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (message === 'exit') process.exit(0); // a normal exit: `node --cpu-prof` writes its profile
  });
  process.send?.('ready');
}

void main();
