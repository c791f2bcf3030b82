import 'reflect-metadata';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Body, Controller, Module, Param, Put, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { QueueableRequest, RequestQueueModule, runRequestQueueWorker } from '../lib/index.js';
import type { RequestQueueModuleOptions } from '../lib/request-queue.options.js';

/**
 * One side of the pickup-latency benchmark (pickup-latency.bench.ts), as a child process:
 * `api <port> <options JSON>` serves a queued route (no worker); `worker <options JSON>`
 * runs the worker alone, replaying against the API; `probe` does nothing (its event-loop
 * stalls are the machine's, the baseline for the others'). The API tells its parent, over IPC,
 * when each replay reached the handler (wall clock, ms with fractions, comparable across
 * processes). Both report their longest event-loop stall when asked (`stats`).
 */
const wallClock = () => performance.timeOrigin + performance.now();
/** PICKUP_REPORT=0: the handler does not report each request (a drain benchmark only counts callbacks). */
const REPORT_REPLAYS = process.env.PICKUP_REPORT !== '0';

@QueueableRequest()
@Controller('items')
class ItemsController {
  @Put(':id')
  put(@Param('id') id: string, @Body() body: Record<string, unknown>) {
    if (REPORT_REPLAYS) process.send?.({ replayed: id, at: wallClock() });
    return { id, ...body };
  }
}

@Module({})
class PickupModule {
  static register(options: RequestQueueModuleOptions, api: boolean): DynamicModule {
    return {
      module: PickupModule,
      imports: [RequestQueueModule.forRoot(options)],
      controllers: api ? [ItemsController] : [],
    };
  }
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  const delay = monitorEventLoopDelay({ resolution: 2 });
  if (role === 'probe') {
    // An idle process: its stalls are what the machine's load alone causes (the baseline).
    setInterval(() => {}, 60_000);
  } else if (role === 'api') {
    const [port, json] = rest as [string, string];
    const app = await NestFactory.create(PickupModule.register(JSON.parse(json) as RequestQueueModuleOptions, true), {
      logger: ['error'],
    });
    await app.listen(Number(port), '127.0.0.1');
  } else {
    const options = JSON.parse(rest[0]!) as RequestQueueModuleOptions;
    await runRequestQueueWorker(PickupModule.register(options, false), { exit: true, context: { logger: ['error'] } });
  }
  process.on('message', (message) => {
    if (message === 'reset') delay.reset();
    if (message === 'stats')
      process.send?.({ stats: { maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, count: delay.count } });
  });
  delay.enable();
  process.send?.('ready');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
