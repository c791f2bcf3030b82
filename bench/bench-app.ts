import 'reflect-metadata';
import { Body, Controller, Get, Module, Param, Put, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { BullModule } from '@nestjs/bull';
import { trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { QueueableRequest, RequestQueueModule } from '../lib/index.js';
import { noTracer, type QueueTracer } from '../lib/observability/queue-tracer.js';
import { RequestQueueRuntime } from '../lib/runtime.js';
import { registerBenchSdk } from './observed-sdk.js';
import { FLOOR_REDIS, FloorController } from './floor-route.js';
import { PEER_QUEUE, PEER_REDIS, PeerController } from './peer-route.js';

/**
 * The app under benchmark (run as a child process by interceptor.bench.ts): the same
 * handler twice, once bare and once behind `@QueueableRequest()`, the hand-written
 * `@nestjs/bull` peer (`peer-route.ts`) and the floors of an interceptor's 202
 * (`floor-route.ts`). API only, no worker.
 * Argument `sdk` registers an OpenTelemetry SDK and serves the app with metrics and tracing
 * on, switched off and on by the messages `observe:off` and `observe:on`.
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

/**
 * What the observed app turns on: both (the benchmark's figure), or one of them to see
 * which costs what (`BENCH_OBSERVED=tracing` or `metrics`), or only a bare SDK span
 * (`BENCH_OBSERVED=span-floor`, below).
 */
function observedOptions() {
  const only = process.env.BENCH_OBSERVED;
  if (only === 'tracing') return {};
  if (only === 'metrics') return { metrics: {}, tracing: false };
  if (only === 'span-floor') return { tracing: false }; // the switch puts `spanFloorTracer` in
  return { metrics: {} };
}

/**
 * `BENCH_OBSERVED=span-floor`: the least a 202 that records a span can do, as the gate's
 * tracer when "on": one span started and ended through the SDK, no attributes, nothing
 * injected or carried, no metric. Its on/off ratio is what recording one span per 202 costs
 * whoever records it (issue 10 asks for a producer span, and for ≤ 5 % with it on).
 */
const spanFloorTracer: QueueTracer = {
  start() {
    const span = trace.getTracer('bench-span-floor').startSpan('send');
    return { carrier: undefined, run: (fn) => fn(), end: () => span.end() };
  },
};

@Module({})
class BenchModule {
  /** `observed`: metrics on (prom-client's global registry) and tracing on, with an SDK registered; else both off. */
  static register(prefix: string, observed: boolean): DynamicModule {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    // The peer and the floors only in the first app (the pair compares metrics and tracing on the queued route).
    const peer = !observed;
    return {
      module: BenchModule,
      imports: [
        ...(peer ? [BullModule.forRoot({ redis: url, prefix }), BullModule.registerQueue({ name: PEER_QUEUE })] : []),
        RequestQueueModule.forRoot({
          driver: 'redis',
          redis: { url, prefix },
          secret: 'bench-secret',
          ...(observed ? observedOptions() : { tracing: false }),
        }),
      ],
      controllers: [BareController, QueuedController, ...(peer ? [PeerController, FloorController] : [])],
      providers: peer
        ? [
            { provide: PEER_REDIS, useFactory: () => new Redis(url, { keyPrefix: `${prefix}:` }) },
            {
              provide: FLOOR_REDIS,
              useFactory: () => new Redis(url, { keyPrefix: `${prefix}:`, enableAutoPipelining: true }),
            },
          ]
        : [],
    };
  }
}

async function listen(adapter: string, port: number, module: DynamicModule): Promise<INestApplication> {
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { rawBody: true, logger: false })
      : await NestFactory.create(module, { rawBody: true, logger: false });
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
  return app;
}

/**
 * Turns the app's metrics and tracing off and on again without a restart (`observe:off`,
 * `observe:on`), so that both are measured in one process with the same JIT state: the
 * gate's tracer becomes the one `tracing: false` gives, and the `queued` counter (the only
 * metric a 202 touches) stops counting. Benchmark-only: it reaches into the runtime's fields.
 */
function observabilitySwitch(app: INestApplication): (on: boolean) => void {
  const runtime = app.get(RequestQueueRuntime);
  const gate = runtime.gate as unknown as { tracer: QueueTracer };
  const tracer = process.env.BENCH_OBSERVED === 'span-floor' ? spanFloorTracer : gate.tracer;
  const queued = runtime.metrics?.queued as { inc: (...args: unknown[]) => void } | undefined;
  const inc = queued?.inc.bind(queued);
  return (on) => {
    gate.tracer = on ? tracer : noTracer;
    if (queued && inc) queued.inc = on ? inc : () => {};
  };
}

async function main(): Promise<void> {
  const [adapter, port, prefix, variant] = process.argv.slice(2) as (string | undefined)[] as [
    string,
    string,
    string,
    string | undefined,
  ];
  let observe: ((on: boolean) => void) | undefined;
  if (variant === 'sdk') {
    // An OpenTelemetry SDK registered as an app does, and the app with metrics and tracing
    // on, switched off and on by the parent between loads: one process and one JIT state
    // for both (separate processes, or two apps in one, differed by more than the 5 % measured).
    registerBenchSdk();
    observe = observabilitySwitch(await listen(adapter, Number(port), BenchModule.register(prefix, true)));
  } else {
    await listen(adapter, Number(port), BenchModule.register(prefix, false));
  }
  // The parent asks for this process's CPU time around a load: CPU per request is steadier
  // than requests per second on a machine other work shares.
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (message === 'observe:on' || message === 'observe:off') {
      // BENCH_AA=1: an A/A check, the switch does nothing and both halves of a pair are the
      // same app; the spread of its ratios is the method's noise.
      if (!process.env.BENCH_AA) observe?.(message === 'observe:on');
      process.send?.({ observing: message });
    }
    if (message === 'exit') process.exit(0); // a normal exit: `node --cpu-prof` writes its profile
  });
  process.send?.('ready');
}

void main();
