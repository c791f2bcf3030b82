import type Bull from 'bull';

/**
 * The methods of Bull 4's own processing loop (`Queue#run`) that this store drives
 * itself, so that it can take jobs across queues in priority order and stop after exactly
 * N jobs, which `queue.process()` cannot do. They are on `Queue.prototype` in every Bull
 * 3.x/4.x release but left out of its typings; Bull 4 is in maintenance mode. This file is
 * the only place that touches them, and `bullLoop` checks they are there.
 */
interface BullQueueLoop {
  /** Subscribes to the delayed-jobs channel and starts the timer that promotes due delayed jobs. */
  _initProcess(): Promise<void>;
  /** Moves jobs whose worker lost its lock (crashed, or left them past its grace period) back to wait. */
  moveUnlockedJobsToWait(): Promise<void>;
  /** Runs `moveUnlockedJobsToWait` every `stalledInterval` until the queue closes. */
  startMoveUnlockedJobsToWait(): void;
  /** Moves the next waiting job to active under this queue's lock, without blocking; null when none waits. */
  moveToActive(): Promise<Bull.Job | null>;
  /** Builds the job `moveToActive` took from the job hash it read (`jobData`: every field of it). */
  nextJobFromJobData(jobData: Record<string, string> | undefined, jobId: string): unknown;
  /** What `moveToActive` stores in a taken job's lock (`<job>:lock`); a move out of active checks it. */
  token: string;
}

const METHODS = [
  '_initProcess',
  'moveUnlockedJobsToWait',
  'startMoveUnlockedJobsToWait',
  'moveToActive',
  'nextJobFromJobData',
] as const;

/** A job taken to active under this queue's lock. */
export interface TakenJob<T> {
  job: Bull.Job<T>;
  /**
   * Times the job's worker lost its lock while running it (Bull's `stalledCounter`: the
   * stalled check took it back from a dead worker). Bull does not put it on the Job object,
   * so it is read from the hash `moveToActive` read anyway: no extra round trip.
   */
  stalledCounter: number;
  /** The value of the job's lock while this queue holds it: `SETTLE_LUA` checks and releases it. */
  lockToken: string;
}

export function bullLoop<T>(queue: Bull.Queue<T>): {
  init(): Promise<void>;
  take(): Promise<TakenJob<T> | null>;
  /** This queue's lock token: what a job handed over to this worker is locked with (`SETTLE_LUA`). */
  readonly token: string;
  /** The job a settle handed over to this worker (stored active under `token`), from its hash. */
  handedOver(hash: Record<string, string>, jobId: string): Promise<TakenJob<T>>;
} {
  const loop = queue as unknown as BullQueueLoop;
  for (const name of METHODS) {
    if (typeof loop[name] !== 'function') {
      throw new Error(`the installed bull lacks Queue#${name}; the redis driver needs bull 4.x`);
    }
  }
  if (typeof loop.token !== 'string')
    throw new Error('the installed bull has no Queue#token; the redis driver needs bull 4.x');
  const stalled = new WeakMap<object, number>();
  const build = loop.nextJobFromJobData.bind(loop);
  loop.nextJobFromJobData = (jobData, jobId) =>
    Promise.resolve(build(jobData, jobId)).then((job) => {
      if (job && typeof job === 'object') stalled.set(job, Number(jobData?.stalledCounter ?? 0) || 0);
      return job;
    });
  return {
    async init() {
      await loop._initProcess();
      await loop.moveUnlockedJobsToWait();
      loop.startMoveUnlockedJobsToWait();
    },
    async take() {
      const job = (await loop.moveToActive()) as Bull.Job<T> | null;
      return job ? { job, stalledCounter: stalled.get(job) ?? 0, lockToken: loop.token } : null;
    },
    get token() {
      return loop.token;
    },
    async handedOver(hash, jobId) {
      // Built as `moveToActive` builds the job it took, from the same fields.
      const job = (await loop.nextJobFromJobData(hash, jobId)) as Bull.Job<T>;
      return { job, stalledCounter: 0, lockToken: loop.token };
    },
  };
}
