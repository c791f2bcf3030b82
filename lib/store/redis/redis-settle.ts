import type { Redis } from 'ioredis';
import type { NewJob } from '../../core/job.js';
import type { StatusWrite, TimelineLine } from './redis-status.js';
import { bullJobOptions } from './bull-job-options.js';

/** The `rqSettle` command (`SETTLE_LUA`) on the connection the store's scripts run on. */
export interface SettleCommand {
  rqSettle(numKeys: 11, ...args: string[]): Promise<string | number>;
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

  /** Resolves once Redis applied all of it; rejects, with nothing changed, when the lock was lost. */
  async settle(s: Settlement): Promise<void> {
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
    ];
    const next = s.next;
    const args = [
      s.jobId,
      s.lockToken,
      String(now),
      s.outcome,
      s.failedReason ?? '',
      next ? this.key(next.queue, '') : '',
      next ? JSON.stringify(next.payload) : '',
      next ? JSON.stringify(bullJobOptions(next.delayMs, now)) : '',
      String(next?.delayMs ?? 0),
      this.token,
      ...(s.status
        ? ['1', ...s.status.args]
        : s.timeline
          ? ['2', String(s.timeline.queuedAt), s.timeline.line]
          : ['0']),
    ];
    const code = await this.client().rqSettle(11, ...keys, ...args);
    if (typeof code === 'number' && code < 0) {
      throw new Error(REFUSED[code]?.(s.jobId) ?? `settle of job ${s.jobId} refused (${code})`);
    }
  }
}
