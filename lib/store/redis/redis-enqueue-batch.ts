import type { NewJob } from '../../core/job.js';
import type { StatusSeed } from '../../core/request-status.js';
import type { ApiClient } from './redis-api-client.js';
import { bullJobOptions } from './bull-job-options.js';
import { flowTicketsKey } from './flow-tickets.lua.js';
import { waitForReplicas } from './replica-wait.js';
import type { RedisStoreOptions } from './redis-store.options.js';

/** Enqueues waiting for the next flush that share a queue, a delay and a claim TTL. */
interface PendingBatch {
  queue: string;
  delayMs: number;
  ttlMs: number;
  /** Per job: its correlation key, its status key and its funnel's line (`ENQUEUE_LUA`'s KEYS). */
  keys: string[];
  /** Per job: data JSON, queuedAt (empty for a callback job), fingerprint, in a funnel (`ENQUEUE_LUA`'s ARGV). */
  data: string[];
  waiters: { resolve(id: string | null): void; reject(err: unknown): void }[];
}

/** The store's key names and error mapping the batcher writes with. */
export interface EnqueueKeys {
  prefix: string;
  /** `<prefix>:<queue>:<name>`. */
  queueKey(queue: string, name: string): string;
  correlationKey(correlationId: string): string;
  statusKey(correlationId: string): string;
}

/**
 * Enqueues of one event-loop turn go to Redis together: one `ENQUEUE_LUA` call per queue,
 * delay and claim TTL (each claim and its job still atomic), so under load one round trip
 * carries many requests. A replay job's `queued` status record is written in the same script.
 */
export class RedisEnqueueBatcher {
  private readonly pending = new Map<string, PendingBatch>();

  constructor(
    private readonly api: () => ApiClient,
    private readonly keys: EnqueueKeys,
    /** Carried by the `waiting` message, as Bull's `queue.add` does with its queue's token. */
    private readonly token: string,
    private readonly waitFor: RedisStoreOptions['waitForReplicas'],
    /** The store's error for a failed call (`StoreUnavailableError`). */
    private readonly unavailable: (err: unknown) => Error,
  ) {}

  /** The new job's id, or null when its correlation id is already held. */
  enqueue(job: NewJob, correlationId: string, ttlMs: number, seed?: StatusSeed): Promise<string | null> {
    return new Promise((resolve, reject) => {
      const group = `${job.delayMs}|${ttlMs}|${job.queue}`;
      let batch = this.pending.get(group);
      if (!batch) {
        batch = { queue: job.queue, delayMs: job.delayMs, ttlMs, keys: [], data: [], waiters: [] };
        this.pending.set(group, batch);
        if (this.pending.size === 1) setImmediate(() => this.flush());
      }
      const replay = job.payload.kind === 'replay';
      // A job in a funnel takes its ticket in its funnel's line (lib/flow); one without passes its status key again.
      const funnel = replay ? job.payload.flow?.funnel : undefined;
      const statusKey = this.keys.statusKey(correlationId);
      batch.keys.push(
        this.keys.correlationKey(correlationId),
        statusKey,
        funnel ? flowTicketsKey(this.keys.prefix, funnel.bucket) : statusKey,
      );
      batch.data.push(
        JSON.stringify(job.payload),
        replay ? String(job.payload.queuedAt) : '',
        (replay && seed?.fingerprint) || '',
        funnel ? '1' : '',
      );
      batch.waiters.push({ resolve, reject });
    });
  }

  private flush(): void {
    const batches = [...this.pending.values()];
    this.pending.clear();
    const now = Date.now();
    const key = (queue: string, name: string) => this.keys.queueKey(queue, name);
    for (const b of batches) {
      const q = b.queue;
      this.api()
        .rqEnqueue(
          5 + b.keys.length,
          key(q, 'wait'),
          key(q, 'paused'),
          key(q, 'meta-paused'),
          key(q, 'id'),
          key(q, 'delayed'),
          ...b.keys,
          this.token,
          key(q, ''),
          b.ttlMs,
          '__default__',
          JSON.stringify(bullJobOptions(b.delayMs, now)),
          now,
          b.delayMs,
          q,
          ...b.data,
        )
        .then((ids) => this.replicated(ids, key(q, 'id')))
        .then(
          (ids) => b.waiters.forEach((w, i) => w.resolve(ids[i] ?? null)),
          (err: unknown) => b.waiters.forEach((w) => w.reject(this.unavailable(err))),
        );
    }
  }

  /**
   * With `waitForReplicas`, an enqueue that stored a job answers once enough replicas have
   * it, or fails (503) when they do not within the timeout; its jobs stay stored all the same.
   */
  private async replicated(ids: (string | null)[], key: string): Promise<(string | null)[]> {
    const wait = this.waitFor;
    if (wait && ids.some((id) => id !== null)) await waitForReplicas(this.api(), key, wait);
    return ids;
  }
}
