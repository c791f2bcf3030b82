import { randomUUID } from 'node:crypto';
import type { ReservedJob } from '../core/job.js';
import type { FlowSlots } from './flow-store.js';

/** What a store's job source offers flow control: its slots, and the lease a funnel slot is held for. */
export interface FlowSupport {
  slots: FlowSlots;
  /** The job lease (Bull's lock, `database.retryAfter`), ms: a funnel slot is held this long and renewed. */
  leaseMs: number;
}

/**
 * May the job run now? `run` (then call `done()` once the handler is over: it gives the
 * funnel slot back), or `release`: put it back to run after `delayMs`, without using up an
 * attempt (the store undoes the reservation).
 */
export type FlowPass = { type: 'run'; done(): void } | { type: 'release'; delayMs: number; reason: string };

const RUN: FlowPass = { type: 'run', done: () => {} };

/**
 * Flow control before the handler (README "Flow control"): the funnel first (a slot held for the lease,
 * renewed while the handler runs), then the throttle (a slot held `every` ms). A job that
 * finds either full is released: to when the throttle's first slot frees, or after the
 * funnel's `retryAfter`; a funnel slot taken for a job the throttle then holds back is given
 * back at once. Jobs without flow control, callback deliveries, jobs handed over only to be
 * failed and jobs past their `retryUntil` (the processor fails them) run as they are.
 */
export async function passFlow(support: FlowSupport, job: ReservedJob, now = Date.now()): Promise<FlowPass> {
  const flow = job.payload.flow;
  if (!flow || job.payload.kind !== 'replay' || job.leasesExhausted) return RUN;
  if (job.payload.retryUntil !== undefined && now >= job.payload.retryUntil) return RUN;
  const { slots, leaseMs } = support;
  const holder = `${job.id}:${job.attempt}:${randomUUID().slice(0, 8)}`;
  const funnel = flow.funnel;
  if (funnel) {
    const took = await slots.take(funnel.bucket, funnel.limit, holder, leaseMs, now);
    if (!took.taken) {
      return { type: 'release', delayMs: funnel.retryAfter, reason: `funnel full (${funnel.limit} running)` };
    }
  }
  const throttle = flow.throttle;
  if (throttle) {
    let took;
    try {
      took = await slots.take(throttle.bucket, throttle.allow, holder, throttle.every, now);
    } catch (err) {
      if (funnel) await slots.give(funnel.bucket, holder).catch(() => {});
      throw err;
    }
    if (!took.taken) {
      if (funnel) await slots.give(funnel.bucket, holder).catch(() => {}); // else its lease frees it
      return {
        type: 'release',
        delayMs: Math.max(1, took.freeAt - now),
        reason: `throttled (${throttle.allow} per ${throttle.every} ms)`,
      };
    }
  }
  if (!funnel) return RUN;
  // The slot is held as long as the job's lease: renewed with it, so a worker that dies
  // holding it stops renewing and the slot frees itself once the lease has run out.
  const renewal = setInterval(() => {
    slots.renew(funnel.bucket, holder, leaseMs, Date.now()).catch(() => {}); // a missed renewal only shortens it
  }, leaseMs / 2);
  return {
    type: 'run',
    done: () => {
      clearInterval(renewal);
      slots.give(funnel.bucket, holder).catch(() => {}); // else it frees itself after the lease
    },
  };
}
