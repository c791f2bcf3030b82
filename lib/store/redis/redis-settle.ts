import type { Redis } from 'ioredis';
import type { NewJob } from '../../core/job.js';
import type { StatusWrite, TimelineLine } from './redis-status.js';
import { bullJobOptions } from './bull-job-options.js';

/** The `rqSettle` command (`SETTLE_LUA`) on the connection the store's scripts run on. */
export interface SettleCommand {
  rqSettle(numKeys: 12, ...args: string[]): Promise<[string, number] | number>;
}

/** One job that ends, and what ends with it (see `SETTLE_LUA`). */
export interface Settlement {
  /** The job's Bull queue, its id, and the token its lock holds (this worker's queue's). */
  queue: string;
  jobId: string;
  lockToken: string;
  outcome: 'completed' | 'failed';
  /** Bull's `failedReason` for `failed`. */
  failedReason?: string;
  /** Stored with the move: a replay's callback job. */
  next?: NewJob;
  /** The replay's final status record (`JobStatus.final`); absent for a callback job. */
  status?: StatusWrite | null;
  /** A callback job's line on its request's timeline (`RedisStatusRecords.callbackLine`). */
  timeline?: TimelineLine;
  /**
   * Hand `next` over to this worker instead of queuing it (when due at once and its queue is
   * not paused): stored active under `lockToken` (its queue's) for `lockDuration` ms.
   */
  handOver?: { lockToken: string; lockDuration: number };
}

/** What a settle stored as the next job, when it handed it over to the settling worker. */
export interface HandedOver {
  id: string;
  /** The job hash as stored (Bull's fields, as `moveToActive` reads them). */
  hash: Record<string, string>;
}

/** Bull's messages for a refused move, as its own `finishedErrors` words them. */
const REFUSED: Record<number, (id: string) => string> = {
  [-1]: (id) => `Missing key for job ${id} finished`,
  [-2]: (id) => `Missing lock for job ${id} finished`,
  [-3]: (id) => `Job ${id} is not in the active state. finished`,
  [-6]: (id) => `Lock mismatch for job ${id}. Cmd finished from active`,
  [-7]: (id) => `settle of job ${id} refused: a key it writes (status record, callback queue) holds another type`,
};

/**
 * Ends jobs with `SETTLE_LUA`: one script call, one round trip, per job that ends, its
 * callback job and status record (or a callback's timeline line) included.
 */
export class RedisSettler {
  constructor(
    private readonly client: () => Redis & SettleCommand,
    private readonly prefix: string,
    /** Carried by the `waiting` message of a next job, as Bull's `queue.add` does with its queue's token. */
    private readonly token: string,
  ) {}

  private key(queue: string, name: string): string {
    return `${this.prefix}:${queue}:${name}`;
  }

  /**
   * Resolves once Redis applied all of it (with the next job when it was handed over);
   * rejects, with nothing changed, when the lock was lost.
   */
  async settle(s: Settlement): Promise<HandedOver | undefined> {
    const jobKey = this.key(s.queue, s.jobId);
    const nextQueue = s.next?.queue ?? s.queue;
    const now = Date.now();
    const keys = [
      this.key(s.queue, 'active'),
      this.key(s.queue, s.outcome),
      jobKey,
      this.key(s.queue, 'stalled'),
      ...(s.status?.keys ?? [s.timeline?.key ?? jobKey, jobKey]), // placeholders in the same slot, never written
      this.key(nextQueue, 'wait'),
      this.key(nextQueue, 'paused'),
      this.key(nextQueue, 'meta-paused'),
      this.key(nextQueue, 'id'),
      this.key(nextQueue, 'delayed'),
      this.key(nextQueue, 'active'),
    ];
    const next = s.next;
    const data = next ? JSON.stringify(next.payload) : '';
    const opts = next ? JSON.stringify(bullJobOptions(next.delayMs, now)) : '';
    const handOver = next ? s.handOver : undefined;
    const args = [
      s.jobId,
      s.lockToken,
      String(now),
      s.outcome,
      s.failedReason ?? '',
      next ? this.key(next.queue, '') : '',
      data,
      opts,
      String(next?.delayMs ?? 0),
      this.token,
      handOver?.lockToken ?? '',
      String(handOver?.lockDuration ?? 0),
      ...(s.status
        ? ['1', ...s.status.args]
        : s.timeline
          ? ['2', String(s.timeline.queuedAt), s.timeline.line]
          : ['0']),
    ];
    const reply = await this.client().rqSettle(12, ...keys, ...args);
    if (typeof reply === 'number') {
      throw new Error(REFUSED[reply]?.(s.jobId) ?? `settle of job ${s.jobId} refused (${reply})`);
    }
    const [nextId, handedOver] = reply;
    if (handedOver !== 1) return undefined;
    const at = String(now);
    const hash = { name: '__default__', data, opts, timestamp: at, delay: '0', priority: '0', processedOn: at };
    return { id: nextId, hash };
  }
}
