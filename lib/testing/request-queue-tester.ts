import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { withLanes } from '../core/callback-lane.js';
import type { JobResult } from '../core/job.js';
import { ReplayClient } from '../core/replay-client.js';
import { RequestProcessor } from '../core/request-processor.js';
import { deriveKeys } from '../core/secret-keys.js';
import { RequestQueueConfigError } from '../core/errors.js';
import { RequestQueueRuntime } from '../runtime.js';
import { REQUEST_QUEUE_STORE, type RequestQueueStore } from '../store/request-queue.store.js';
import { Worker } from '../worker/worker.js';
import { MemoryStore } from './memory.store.js';
import { openQueuedRequest, type QueuedRequest } from './queued-request.js';
import { RecordingCallbackSender, type SentCallback } from './recording-callback-sender.js';

/** Injection token of the testing module's own settings. */
export const REQUEST_QUEUE_TESTING_OPTIONS = Symbol.for('nestjs-request-queue:RequestQueueTestingOptions');

export interface TestingSettings {
  /** Really POST callbacks to their URLs (they are recorded either way) [false]. */
  deliverCallbacks: boolean;
}

/** One job `runQueued()` ran: a replay or a callback delivery, and what came of it. */
export interface RanJob {
  kind: 'replay' | 'callback';
  correlationId: string;
  queue: string;
  method: string;
  path: string;
  /** What the worker told the store: done, try again later, or failed for good. */
  result: JobResult['type'];
  /** The HTTP status the replay (or the callback receiver) answered, when there was an answer. */
  status?: number;
  error?: string;
}

export interface RunQueuedOptions {
  /**
   * Where to replay, e.g. `http://127.0.0.1:3000` [the address the app's HTTP server listens
   * on, after `await app.listen(0)`; an app that only ran `app.init()` (on Fastify, and its
   * instance's `ready()`) is listened on a free loopback port for the run, then closed].
   */
  baseUrl?: string;
  /** Also run jobs waiting on a retry delay at once, until none is left or `maxRounds` [false]. */
  includeDelayed?: boolean;
  /** Most rounds with `includeDelayed` (a round runs every job ready, then makes the delayed ones ready) [10]. */
  maxRounds?: number;
}

/**
 * What a test asks the queue (Laravel's `Queue::fake()`): the requests queued, running them
 * now through the app itself, and the callbacks that would have gone out. Only the store
 * (in memory) and the callback transport (recorded) are fakes: sealing, signatures, the
 * processor and the worker are the library's own.
 */
@Injectable()
export class RequestQueueTester implements OnApplicationShutdown {
  private readonly sender: RecordingCallbackSender;

  constructor(
    private readonly runtime: RequestQueueRuntime,
    @Inject(REQUEST_QUEUE_STORE) private readonly store: RequestQueueStore,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(REQUEST_QUEUE_TESTING_OPTIONS) settings: TestingSettings,
  ) {
    this.sender = new RecordingCallbackSender(runtime.options.callback, settings.deliverCallbacks);
  }

  /** The requests waiting to be replayed (retries included), oldest first, opened as the replay would send them. */
  queued(): QueuedRequest[] {
    const { box, options } = this.runtime;
    return [...this.memory().state.jobs.values()]
      .filter((job) => job.payload.kind === 'replay' && !job.lease)
      .sort((a, b) => a.seq - b.seq)
      .map((job) => openQueuedRequest(job, box, options.correlationHeader));
  }

  /** The callbacks sent so far (signed, recorded; POSTed only with `deliverCallbacks: true`), in order. */
  callbacks(): SentCallback[] {
    return [...this.sender.sent];
  }

  /**
   * Replays every queued request now, against the app's own HTTP server, with the real
   * worker, and then the callbacks they queued. Requests whose replay asked for a retry
   * stay queued (see `includeDelayed`). Resolves to the jobs run, in order.
   */
  async runQueued(options: RunQueuedOptions = {}): Promise<RanJob[]> {
    const store = this.memory();
    const o = this.runtime.options;
    const ran: RanJob[] = [];
    const { baseUrl, close } = await this.replayTarget(options.baseUrl);
    // The replay marker is keyed like the app's own worker's, so the interceptor lets the replays through.
    const replay = new ReplayClient(baseUrl, deriveKeys(o.secret, o.previousSecrets).marker, o.correlationHeader);
    const processor = new RequestProcessor(
      this.runtime.box,
      replay,
      this.sender,
      {
        callbackRetryDelays: o.callback.retryDelays,
        callbackTimeout: o.callback.timeout,
        statusTtl: o.statusTtl,
      },
      this.runtime.events,
    );
    try {
      const rounds = options.includeDelayed ? (options.maxRounds ?? 10) : 1;
      for (let round = 0; round < rounds; round++) {
        if (round > 0 && !store.state.makeDelayedReady()) break;
        await this.runReady(processor, ran);
      }
    } finally {
      await replay.close();
      await close();
    }
    return ran;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }

  /** Forgets every queued request, failed job, status record, claim and recorded callback. */
  reset(): void {
    this.memory().state.clear();
    this.sender.sent.length = 0;
  }

  private async runReady(processor: RequestProcessor, ran: RanJob[]): Promise<void> {
    const o = this.runtime.options;
    const queues = withLanes([...new Set([...o.worker.queues, ...this.memory().state.queues()])]);
    const worker = new Worker(
      this.store,
      processor,
      { queues, concurrency: 1, gracePeriod: o.worker.gracePeriod, stopWhenEmpty: true, restartCheckInterval: 0 },
      {
        onJob: ({ job, result }) => {
          const p = job.payload;
          const item: RanJob = {
            kind: p.kind,
            correlationId: p.correlationId,
            queue: job.queue,
            method: p.method,
            path: p.path,
            result: result.type,
          };
          if (result.note?.status !== undefined) item.status = result.note.status;
          if (result.type !== 'complete') item.error = result.error;
          ran.push(item);
        },
      },
    );
    await worker.start();
    await worker.stopped;
  }

  /** The base URL of the app's HTTP server, listening it on a loopback port for the run if it is not yet. */
  private async replayTarget(given?: string): Promise<{ baseUrl: string; close: () => Promise<void> }> {
    const none = () => Promise.resolve();
    if (given) return { baseUrl: given, close: none };
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server || typeof server.address !== 'function') {
      throw new RequestQueueConfigError(
        'runQueued() needs the app to have an HTTP server: create the app and await app.listen(0)',
      );
    }
    let address = server.address();
    let close = none;
    if (!address) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      address = server.address();
      close = () => new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (!address || typeof address === 'string') {
      throw new RequestQueueConfigError('runQueued() needs the app listening on a TCP port: await app.listen(0)');
    }
    return { baseUrl: `http://${hostOf(address)}:${address.port}`, close };
  }

  private memory(): MemoryStore {
    if (!(this.store instanceof MemoryStore)) {
      throw new RequestQueueConfigError(
        'RequestQueueTester works with the in-memory store of RequestQueueTestingModule',
      );
    }
    return this.store;
  }
}

/** The host to reach a server bound to `address`: loopback when it listens on every address. */
function hostOf(address: AddressInfo): string {
  if (address.address === '::' || address.address === '0.0.0.0' || address.address === '') return '127.0.0.1';
  return address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
}
