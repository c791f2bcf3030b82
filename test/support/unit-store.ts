import { CallbackSender } from '../../lib/core/callback-sender.js';
import type { EventSink, RequestQueueEventName, RequestQueueEventPayload } from '../../lib/core/events.js';
import type { JobResult, ReservedJob } from '../../lib/core/job.js';
import { ReplayClient } from '../../lib/core/replay-client.js';
import { RequestGate, type GateSettings, type StoreWatch } from '../../lib/core/request-gate.js';
import type { IncomingRequest } from '../../lib/core/request-capture.js';
import { RequestProcessor } from '../../lib/core/request-processor.js';
import { SealedBox } from '../../lib/core/sealed-box.js';
import { deriveKeys } from '../../lib/core/secret-keys.js';
import { StatusLinks } from '../../lib/core/status-links.js';
import { RequestStatusReader } from '../../lib/core/status-reader.js';
import {
  resolveOptions,
  type RequestQueueModuleOptions,
  type ResolvedOptions,
} from '../../lib/request-queue.options.js';
import { gateSettings, processorSettings } from '../../lib/runtime.js';
import { createStore } from '../../lib/store/create-store.js';
import { HttpRecorder } from './http-recorder.js';
import type { RequestQueueStore } from '../../lib/store/request-queue.store.js';

/**
 * What the unit specs of the gate, the processor and the worker run on: a real store (the
 * database driver on SQLite in memory: no server, nothing shared with other tests), the
 * pieces the runtime assembles from the same resolved options, and real HTTP on loopback.
 */

export const UNIT_SECRET = 'unit-spec-secret';

/** A callback token the gate accepts (16 to 256 visible ASCII characters). */
export const UNIT_TOKEN = 'unit-callback-token-0123456789';

/** One event a gate or a processor emitted. */
export type EmittedEvent = [RequestQueueEventName, RequestQueueEventPayload];

/** Resolved options for a unit store: SQLite in memory, a short idle wait, callbacks allowed to loopback. */
export function unitOptions(options: RequestQueueModuleOptions = {}): ResolvedOptions {
  return resolveOptions({
    secret: UNIT_SECRET,
    ...options,
    driver: 'database',
    database: { url: 'sqlite::memory:', migrationsRun: true, sleep: 20, ...options.database },
    callback: { allowedHosts: ['127.0.0.1'], ...options.callback },
  });
}

/** The database store on a fresh SQLite database in memory, its tables made. */
export function openUnitStore(options: RequestQueueModuleOptions = {}): Promise<RequestQueueStore> {
  return createStore(unitOptions(options));
}

/** A unit store and the core pieces over it, built from one set of options as the runtime builds them. */
export interface UnitKit {
  readonly options: ResolvedOptions;
  readonly store: RequestQueueStore;
  readonly box: SealedBox;
  readonly links: StatusLinks;
  readonly markerKey: Buffer;
  /** Reads status resources, as the module serves them. */
  readonly status: RequestStatusReader;
  /** What the gate and the processors emitted, in order. */
  readonly events: EmittedEvent[];
  readonly emit: EventSink;
  /** The gate over the store with the options' settings, `settings` over them. */
  gate(settings?: Partial<GateSettings>, watch?: StoreWatch): RequestGate;
  /** A processor replaying against `baseUrl` over real HTTP, its callbacks sent for real (loopback allowed). */
  processor(baseUrl: string): RequestProcessor;
  /** Closes the processors' HTTP clients and the store. */
  close(): Promise<void>;
}

export async function openUnitKit(options: RequestQueueModuleOptions = {}): Promise<UnitKit> {
  const resolved = unitOptions(options);
  const store = await createStore(resolved);
  const keys = deriveKeys(resolved.secret, resolved.previousSecrets);
  const box = new SealedBox(keys);
  const links = new StatusLinks(keys.status, resolved.statusPath);
  const events: EmittedEvent[] = [];
  const emit: EventSink = (name, payload) => events.push([name, payload]);
  const closers: (() => Promise<void>)[] = [];
  return {
    options: resolved,
    store,
    box,
    links,
    markerKey: keys.marker,
    status: new RequestStatusReader(store, links, box),
    events,
    emit,
    gate(settings = {}, watch) {
      return new RequestGate({ ...gateSettings(resolved), ...settings }, store, box, keys.marker, links, emit, watch);
    },
    processor(baseUrl) {
      const replay = new ReplayClient(baseUrl, keys.marker, resolved.correlationHeader);
      const sender = new CallbackSender({ policy: resolved.callback });
      closers.push(
        () => replay.close(),
        () => sender.close(),
      );
      return new RequestProcessor(box, replay, sender, processorSettings(resolved), emit);
    },
    async close() {
      await Promise.all(closers.splice(0).map((close) => close()));
      await store.close();
    },
  };
}

/** A request as an adapter hands it to the gate: a JSON body (parsed and raw), callback parameters in the query. */
export function jsonRequest(
  correlationId: string,
  init: {
    method?: string;
    path?: string;
    body?: unknown;
    headers?: Record<string, string>;
    callback?: { url: string; token: string } | null;
  } = {},
): { req: IncomingRequest; query: Record<string, unknown> } {
  const raw = Buffer.from(JSON.stringify(init.body ?? { name: 'Ada' }));
  const query: Record<string, unknown> = {};
  let url = init.path ?? '/user/1';
  if (init.callback) {
    query._callback_url = init.callback.url;
    query._callback_token = init.callback.token;
    const params = new URLSearchParams({ _callback_url: init.callback.url, _callback_token: init.callback.token });
    url += `${url.includes('?') ? '&' : '?'}${params.toString()}`;
  }
  const req: IncomingRequest = {
    method: init.method ?? 'PUT',
    url,
    headers: {
      host: '127.0.0.1',
      'content-type': 'application/json',
      'content-length': String(raw.length),
      'x-correlation-id': correlationId,
      ...init.headers,
    },
    body: JSON.parse(raw.toString('utf8')) as unknown,
    rawBody: raw,
  };
  return { req, query };
}

/** One job a consumer ran, and the result the handler gave the store. */
export interface RanJob {
  job: ReservedJob;
  result: JobResult;
}

/**
 * Takes the next job of `queues` (their callback lanes first, as every consumer does) from
 * the store, waiting for it when it is delayed, runs
 * `handler` on it, and resolves once the store applied the result. Rejects after
 * `timeoutMs` if no job became ready.
 */
export async function runNext(
  store: RequestQueueStore,
  queues: readonly string[],
  handler: (job: ReservedJob) => Promise<JobResult>,
  timeoutMs = 10_000,
): Promise<RanJob> {
  let ran: RanJob | undefined;
  const consumer = await store.consume({ queues, concurrency: 1, maxJobs: 1, idleMs: 20 }, async (job) => {
    const result = await handler(job);
    ran = { job, result };
    return result;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const end = await Promise.race([consumer.finished, timedOut]);
  clearTimeout(timer);
  if (end === 'timeout') {
    await consumer.stop(0);
    throw new Error(`no job of ${queues.join(', ')} became ready within ${timeoutMs} ms`);
  }
  if (!ran) throw new Error(`the consumer ended (${end}) without running a job`);
  return ran;
}

/** How the replay target answers one request: a status (and JSON body), or never (the attempt times out). */
export type TargetAnswer = { status: number; body?: unknown } | 'hang';

/**
 * The test recorder (`HttpRecorder`, a real HTTP server on loopback) standing in for the app a
 * worker replays against: it answers the queued `answers` in order, then 200 `{"ok":true}`.
 */
export class ReplayTarget extends HttpRecorder {
  answers: TargetAnswer[] = [];

  constructor() {
    super();
    this.respond((_req, res) => {
      const answer = this.answers.shift() ?? { status: 200, body: { ok: true } };
      if (answer === 'hang') return; // the replay's own timeout ends it
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? { status: answer.status }));
    });
  }

  get url(): string {
    return this.origin;
  }
}
