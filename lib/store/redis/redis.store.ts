import { randomUUID } from 'node:crypto';
import Bull from 'bull';
import { deferred, withTimeout } from '../../core/async.js';
import { baseQueue, withLanes } from '../../core/callback-lane.js';
import type { FailedJob, JobPayload, NewJob } from '../../core/job.js';
import {
  type JobFilter,
  type JobSummary,
  type QueueStats,
  type StatusRecord,
  type StatusSeed,
  type ThroughputPoint,
} from '../../core/request-status.js';
import { DEFAULT_LOCK_DURATION_MS } from '../../core/policies.js';
import { isJobPayload } from '../job-payload.js';
import { RedisFlowSlots } from './flow-slots.lua.js';
import { RedisFlowTickets } from './flow-tickets.lua.js';
import { startConsumeLoop } from '../consume-loop.js';
import {
  StoreUnavailableError,
  type ConsumeOptions,
  type JobConsumer,
  type JobHandler,
  type RequestQueueStore,
} from '../request-queue.store.js';
import { openApiClient, type ApiClient } from './redis-api-client.js';
import { RedisEnqueueBatcher } from './redis-enqueue-batch.js';
import { RedisJobSource, type RetryError } from './redis-job-source.js';
import { failedId, RedisJobListing } from './redis-job-listing.js';
import { RedisStatusRecords } from './redis-status.js';
import { readThroughput } from './redis-throughput.js';
import { resolveRedisOptions, type RedisStoreOptions } from './redis-store.options.js';
import { bullClientFactory, scanKeys, type RedisConnection } from './redis-connection.js';
import { deadline } from './deadline.js';
import { BACKOFF_STRATEGY, BULL_ATTEMPTS } from './bull-job-options.js';
import { RedisSettler } from './redis-settle.js';

/** An idle worker looks again after this long even if Bull announced no waiting job [1 s]. */
const DEFAULT_IDLE_MS = 1000;

/**
 * The `redis` driver: jobs are Bull 4 jobs, so Bull's workers, locks, stalled-job recovery
 * and delayed sets do the heavy lifting. The API side uses a connection of its own that
 * fails fast (no offline queue, a command timeout), and claims the correlation id and adds
 * the Bull job in one Lua script.
 */
export class RedisStore implements RequestQueueStore {
  private readonly prefix: string;
  private readonly commandTimeout: number;
  private readonly lockDuration: number;
  private readonly token = randomUUID();
  private readonly bullQueues = new Map<string, Bull.Queue<JobPayload>>();
  private apiClient?: ApiClient;
  /** Bull's connections on a cluster (Bull closes only those it created itself). */
  private readonly bullClients: RedisConnection[] = [];
  private lastError?: Error;
  private readonly batcher: RedisEnqueueBatcher;
  private readonly records: RedisStatusRecords;
  private readonly listing: RedisJobListing;

  constructor(private readonly options: RedisStoreOptions = {}) {
    resolveRedisOptions(options, true); // refuses a cluster prefix whose keys would span slots
    this.prefix = options.prefix ?? 'bull';
    this.records = new RedisStatusRecords(() => this.api, this.prefix);
    this.listing = new RedisJobListing(
      (name) => this.queue(name),
      () => this.api,
      this.prefix,
    );
    this.commandTimeout = options.commandTimeout ?? 2000;
    this.lockDuration = options.lockDuration ?? DEFAULT_LOCK_DURATION_MS;
    this.batcher = new RedisEnqueueBatcher(
      () => this.api,
      {
        prefix: this.prefix,
        queueKey: (queue, name) => this.key(queue, name),
        correlationKey: (id) => this.correlationKey(id),
        statusKey: (id) => this.records.key(id),
      },
      this.token,
      options.waitForReplicas,
      (err) => this.unavailable(err),
    );
  }

  /** The API's connection (`openApiClient`): commands fail at once while Redis is away, instead of queueing. */
  private get api(): ApiClient {
    // Surfaced as StoreUnavailableError on the next command; the connection's own error
    // (refused, protocol) is kept to say why, not ioredis's "Stream isn't writeable".
    this.apiClient ??= openApiClient(this.options, this.commandTimeout, (err) => {
      if (!err.message.startsWith("Stream isn't writeable")) this.lastError = err;
    });
    return this.apiClient;
  }

  /**
   * Opens the API connection and waits (up to the command timeout) for it to be ready, or
   * to fail: a refused connection is known at once, no need to wait out the timeout.
   */
  async init(): Promise<void> {
    const client = this.api;
    if (client.status === 'ready') return;
    const settled = deferred<void>();
    const done = () => settled.resolve();
    client.once('ready', done);
    client.once('error', done);
    await withTimeout(settled.promise, this.commandTimeout, () => {});
    client.off('ready', done);
    client.off('error', done);
  }

  /**
   * The error for a failed API command: while the connection is down, its own error
   * (refused, protocol) says why, not ioredis's "Stream isn't writeable" (one cause per outage).
   */
  private unavailable(err: unknown): StoreUnavailableError {
    if (err instanceof StoreUnavailableError) return err;
    return unavailable(this.api.status === 'ready' ? err : (this.lastError ?? err));
  }

  /** An API command, bounded by the command timeout as a whole on a cluster (see `deadline`). */
  private bounded<T>(work: Promise<T>): Promise<T> {
    if (!this.options.cluster) return work;
    return deadline(work, this.commandTimeout).catch((err: unknown) => {
      throw this.unavailable(err);
    });
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  private correlationKey(id: string): string {
    return this.key('request-queue', 'cid', id);
  }

  async claim(correlationId: string, ttlMs: number): Promise<boolean> {
    try {
      return (await this.bounded(this.api.set(this.correlationKey(correlationId), 'sync', 'PX', ttlMs, 'NX'))) === 'OK';
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** Batched with the other enqueues of its event-loop turn (`RedisEnqueueBatcher`). */
  enqueue(job: NewJob, correlationId: string, ttlMs: number, seed?: StatusSeed): Promise<string | null> {
    return this.bounded(this.batcher.enqueue(job, correlationId, ttlMs, seed));
  }

  async readStatus(correlationId: string): Promise<StatusRecord | null> {
    try {
      return await this.bounded(this.records.read(correlationId));
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  async throughput(sinceMs: number): Promise<ThroughputPoint[]> {
    try {
      return await readThroughput(this.api, (minute) => this.records.throughputKey(minute), sinceMs);
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** The Bull queue behind a queue name, for workers and operator commands. */
  queue(name: string): Bull.Queue<JobPayload> {
    let queue = this.bullQueues.get(name);
    if (!queue) {
      const opts: Bull.QueueOptions = {
        prefix: this.prefix,
        redis: this.options.options,
        settings: {
          backoffStrategies: {
            [BACKOFF_STRATEGY]: (_attempts: number, err?: RetryError) => err?.delayMs ?? 0,
          },
          // Bull never fails a stalled job itself: the store counts lost locks and hands a job
          // that lost too many to the worker, to be failed with its failure outcome.
          maxStalledCount: BULL_ATTEMPTS,
          lockDuration: this.lockDuration,
          stalledInterval: this.lockDuration,
        },
      };
      if (this.options.cluster) opts.createClient = bullClientFactory(this.options, this.bullClients);
      queue = this.options.url ? new Bull<JobPayload>(name, this.options.url, opts) : new Bull<JobPayload>(name, opts);
      queue.on('error', () => {}); // Bull reconnects by itself; failures surface per job
      this.bullQueues.set(name, queue);
    }
    return queue;
  }

  async consume(options: ConsumeOptions, handler: JobHandler): Promise<JobConsumer> {
    // Status records are written on the API connection, which does not queue commands
    // while it connects: have it ready before the first take.
    await this.init();
    // Each queue's callback lane is a Bull queue of its own, taken from first (consume-loop.ts).
    const queues = new Map(withLanes(options.queues).map((name) => [name, this.queue(name)] as const));
    const settler = new RedisSettler(() => this.api, this.prefix, this.token);
    const source = new RedisJobSource(queues, this.lockDuration, settler, this.records, {
      slots: new RedisFlowSlots(() => this.api, this.prefix), // flow control (lib/flow)
      tickets: new RedisFlowTickets(() => this.api, this.prefix),
      leaseMs: this.lockDuration,
    });
    await source.open();
    const consumer = startConsumeLoop(source, { ...options, idleMs: options.idleMs ?? DEFAULT_IDLE_MS }, handler);
    void consumer.finished.then(() => source.close());
    return consumer;
  }

  async ping(): Promise<void> {
    const client = this.api;
    // Waits for the connection, but stops at its first error (a refused connection needs no timeout).
    await this.init();
    try {
      await client.ping();
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /**
   * Every Bull queue under the prefix: each has its id counter (`<queue>:id`), and a queue
   * whose counter was deleted may still have failed jobs (`<queue>:failed`). The library's
   * own keys (`request-queue:…`, e.g. a correlation id ending in `:failed`) are not queues.
   */
  private async queueNames(): Promise<string[]> {
    const names = new Set<string>();
    const head = `${this.prefix}:`;
    for (const suffix of [':id', ':failed']) {
      const keys = await scanKeys(this.api, `${head}*${suffix}`);
      for (const key of keys) names.add(key.slice(head.length, -suffix.length));
    }
    return [...names].filter((name) => !name.startsWith('request-queue:'));
  }

  async listFailed(): Promise<FailedJob[]> {
    const all: FailedJob[] = [];
    for (const name of await this.queueNames()) {
      for (const job of await this.queue(name).getFailed()) {
        if (!job || !isJobPayload(job.data)) continue;
        all.push({
          id: failedId(name, job), // a lane's job keeps its real Bull queue in its id
          queue: baseQueue(name),
          kind: job.data.kind,
          correlationId: job.data.correlationId,
          method: job.data.method,
          path: job.data.path,
          error: job.failedReason ?? '',
          failedAt: new Date(job.finishedOn ?? job.timestamp),
          attempts: job.attemptsMade,
        });
      }
    }
    return all.sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime());
  }

  private async failedJob(id: string): Promise<Bull.Job<JobPayload> | null> {
    const cut = id.lastIndexOf(':');
    if (cut <= 0) return null;
    const job = await this.queue(id.slice(0, cut)).getJob(id.slice(cut + 1));
    return job && (await job.isFailed()) ? job : null;
  }

  /**
   * A replay job's record goes back to `queued` before the job leaves the failed set, so a
   * consumer that takes it at once settles it after that. If the process dies between the
   * two, the record says `queued` for a job still failed: the operator's retry, run again,
   * moves it.
   */
  async retryFailed(ids: readonly string[]): Promise<number> {
    let moved = 0;
    for (const id of ids) {
      const job = await this.failedJob(id);
      if (!job) continue;
      if (isJobPayload(job.data)) await this.records.forJob(job.queue.name, String(job.id), job.data)?.requeued();
      await this.api.hset(this.key(job.queue.name, String(job.id)), 'attemptsMade', 0, 'stalledCounter', 0);
      await job.retry();
      moved++;
    }
    return moved;
  }

  /** Every failed job of `queue`, its callback lane's included (`retryFailed` on each). */
  async retryAllFailed(queue: string): Promise<number> {
    const ids: string[] = [];
    const known = new Set(await this.queueNames()); // no Bull queue (and connection) for an unknown name
    for (const name of withLanes([queue]).filter((n) => known.has(n))) {
      for (const job of await this.queue(name).getFailed()) if (job) ids.push(failedId(name, job));
    }
    return this.retryFailed(ids);
  }

  async forgetFailed(id: string): Promise<boolean> {
    const job = await this.failedJob(id);
    if (!job) return false;
    await job.remove();
    return true;
  }

  async flushFailed(olderThanMs: number): Promise<number> {
    let removed = 0;
    for (const name of await this.queueNames()) {
      removed += (await this.queue(name).clean(olderThanMs, 'failed', 0)).length;
    }
    return removed;
  }

  async listJobs(filter: JobFilter): Promise<JobSummary[]> {
    if (filter.limit <= 0) return [];
    const names = filter.queue !== undefined ? withLanes([filter.queue]) : await this.queueNames();
    return this.listing.list(names, filter);
  }

  async stats(): Promise<QueueStats[]> {
    return this.listing.stats(await this.queueNames());
  }

  async signalRestart(): Promise<void> {
    await this.api.set(this.key('request-queue', 'restart'), String(Date.now()));
  }

  async lastRestart(): Promise<number | null> {
    let value: string | null;
    try {
      value = await this.bounded(this.api.get(this.key('request-queue', 'restart')));
    } catch (err) {
      throw this.unavailable(err);
    }
    return value === null ? null : Number(value);
  }

  async close(): Promise<void> {
    await Promise.all([...this.bullQueues.values()].map((q) => q.close()));
    this.bullQueues.clear();
    await Promise.all(this.bullClients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
    if (this.apiClient) {
      await this.apiClient.quit().catch(() => this.apiClient?.disconnect());
      this.apiClient = undefined;
    }
  }
}

function unavailable(err: unknown): StoreUnavailableError {
  return new StoreUnavailableError(`Redis is unreachable: ${(err as Error).message}`, { cause: err });
}
