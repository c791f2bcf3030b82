import { Injectable, type LoggerService } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RequestQueueEvent,
  RequestQueueModule,
  RequestQueueRuntime,
  RequestQueueWorkerEvent,
  type RequestQueueEventPayload,
  type RequestQueueModuleOptions,
} from '../../lib/index.js';
import { enqueue } from './support/enqueue.js';
import { waitFor } from '../support/wait-for.js';
import { type StoreHarness } from '../support/stores.js';
import { CALLBACK_TOKEN, SECRET } from './support/api-runtime.js';
import { CLI_STORES, onOneStore } from './support/cli-world.js';
import { answerByPath, HttpRecorder } from '../support/http-recorder.js';

/** Records what an app hears, the Nest way (`@OnEvent`). */
@Injectable()
class Heard {
  readonly events: { name: string; payload: RequestQueueEventPayload }[] = [];
  private add(name: string, payload: RequestQueueEventPayload) {
    this.events.push({ name, payload });
  }
  @OnEvent(RequestQueueEvent.Queued) queued(p: RequestQueueEventPayload) {
    this.add(RequestQueueEvent.Queued, p);
  }
  @OnEvent(RequestQueueEvent.Processing) processing(p: RequestQueueEventPayload) {
    this.add(RequestQueueEvent.Processing, p);
  }
  @OnEvent(RequestQueueEvent.Completed) completed(p: RequestQueueEventPayload) {
    this.add(RequestQueueEvent.Completed, p);
  }
  @OnEvent(RequestQueueEvent.Failed) failed(p: RequestQueueEventPayload) {
    this.add(RequestQueueEvent.Failed, p);
  }
  @OnEvent(RequestQueueEvent.CallbackDelivered) delivered(p: RequestQueueEventPayload) {
    this.add(RequestQueueEvent.CallbackDelivered, p);
  }
  @OnEvent(RequestQueueEvent.CallbackFailed) callbackFailed(p: RequestQueueEventPayload) {
    this.add(RequestQueueEvent.CallbackFailed, p);
  }
  looping = 0;
  @OnEvent(RequestQueueWorkerEvent.Looping) loop() {
    this.looping++;
  }
  names(correlationId: string): string[] {
    return this.events.filter((e) => e.payload.correlationId === correlationId).map((e) => e.name);
  }
}

/** Keeps every log line. */
class Lines implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, context?: string) {
    this.lines.push(`LOG [${context}] ${String(message)}`);
  }
  warn(message: unknown, context?: string) {
    this.lines.push(`WARN [${context}] ${String(message)}`);
  }
  error(message: unknown, context?: string) {
    this.lines.push(`ERROR [${context}] ${String(message)}`);
  }
}

describe.each(CLI_STORES)('lifecycle events and logs in a Nest app on $kind.name', ({ kind, skip }) => {
  let harness: StoreHarness;
  let api: HttpRecorder;
  let receiver: HttpRecorder;

  beforeAll(async () => {
    if (skip) return;
    harness = await kind.create();
    api = await new HttpRecorder(answerByPath).start();
    receiver = await new HttpRecorder(answerByPath).start();
  });

  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await harness?.cleanup();
  });

  function options(): RequestQueueModuleOptions {
    return {
      ...harness.options,
      baseUrl: api.origin,
      secret: SECRET,
      callback: { allowedHosts: [`127.0.0.1:${receiver.port}`] },
      worker: { enabled: true, concurrency: 2, gracePeriod: 2000 },
    };
  }

  async function app(withEventEmitter: boolean, logger: LoggerService): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({
      imports: [...(withEventEmitter ? [EventEmitterModule.forRoot()] : []), RequestQueueModule.forRoot(options())],
      providers: withEventEmitter ? [Heard] : [],
    })
      .setLogger(logger)
      .compile();
    await moduleRef.init();
    return moduleRef;
  }

  it.skipIf(skip)(
    'emits queued, processing, completed, failed, callback delivered/failed and worker looping through EventEmitter2',
    async () => {
      const lines = new Lines();
      const moduleRef = await app(true, lines);
      try {
        const heard = moduleRef.get(Heard);
        const runtime = moduleRef.get(RequestQueueRuntime);
        // A listener that throws never breaks the queue: the request is still queued.
        moduleRef.get(EventEmitter2).on(RequestQueueEvent.Queued, () => {
          throw new Error('listener bug');
        });
        const cb = `${receiver.origin}/callback`;
        const ok = await enqueue(runtime, { path: '/fine/1', callbackUrl: cb, callbackToken: CALLBACK_TOKEN });
        const bad = await enqueue(runtime, {
          path: '/status/500/2',
          callbackUrl: cb,
          callbackToken: CALLBACK_TOKEN,
          route: { tries: 1 },
        });
        const gone = await enqueue(runtime, {
          path: '/fine/3',
          callbackUrl: `${receiver.origin}/status/410/3`,
          callbackToken: CALLBACK_TOKEN,
        });
        await waitFor(
          'every outcome',
          () =>
            [ok, bad].every((id) => heard.names(id).includes(RequestQueueEvent.CallbackDelivered)) &&
            heard.names(gone).includes(RequestQueueEvent.CallbackFailed),
          { timeoutMs: 10_000 },
        );
        const { Queued, Processing, Completed, Failed, CallbackDelivered, CallbackFailed } = RequestQueueEvent;
        // `queued` is emitted once the store confirmed; a quick worker may already be processing by then.
        const after = (id: string) => heard.names(id).filter((n) => n !== Queued);
        for (const id of [ok, bad, gone]) expect(heard.names(id).filter((n) => n === Queued)).toHaveLength(1);
        expect(after(ok)).toEqual([Processing, Completed, Processing, CallbackDelivered]);
        expect(after(bad)).toEqual([Processing, Failed, Processing, CallbackDelivered]);
        expect(after(gone)).toEqual([Processing, Completed, Processing, CallbackFailed]);
        const failed = heard.events.find((e) => e.name === Failed)!.payload;
        expect(failed).toMatchObject({
          correlationId: bad,
          method: 'PATCH',
          path: '/status/500/2',
          kind: 'replay',
          attempt: 1,
        });
        expect(failed.outcome).toMatchObject({ status: 'failed', response: { status: 500 } });
        expect(heard.looping).toBeGreaterThan(0);
        expect(lines.lines.filter((l) => l.startsWith('ERROR')).join('\n')).toContain(
          'a listener of request-queue.queued threw: listener bug',
        );

        // One log line per job, each with its correlation id; failures as warnings, with the reason.
        expect(lines.lines).toContainEqual(
          expect.stringMatching(new RegExp(`^LOG \\[RequestQueue\\] ${ok} PATCH /fine/1 DONE `)),
        );
        expect(lines.lines).toContainEqual(
          expect.stringMatching(new RegExp(`^LOG \\[RequestQueue\\] ${ok} PATCH /fine/1 \\(callback\\) DONE `)),
        );
        expect(lines.lines).toContainEqual(
          expect.stringMatching(
            new RegExp(`^WARN \\[RequestQueue\\] ${bad} PATCH /status/500/2 FAIL .*replay answered 500`),
          ),
        );
        expect(lines.lines).toContainEqual(
          expect.stringMatching(new RegExp(`^WARN \\[RequestQueue\\] ${gone} PATCH /fine/3 \\(callback\\) FAIL .*410`)),
        );
      } finally {
        await moduleRef.close();
      }
      expect(lines.lines).toContainEqual(expect.stringMatching(/worker stopping \(stopped\)/));
    },
  );

  onOneStore(kind, skip)('works the same without EventEmitterModule (the peer is optional)', async () => {
    const lines = new Lines();
    const moduleRef = await app(false, lines);
    try {
      const id = await enqueue(moduleRef.get(RequestQueueRuntime), {
        path: '/fine/4',
        callbackUrl: `${receiver.origin}/callback`,
        callbackToken: CALLBACK_TOKEN,
      });
      await waitFor('the callback', () => receiver.for(id).length === 1, { timeoutMs: 10_000 });
      expect(lines.lines.filter((l) => l.startsWith('ERROR'))).toEqual([]);
    } finally {
      await moduleRef.close();
    }
  });
});
