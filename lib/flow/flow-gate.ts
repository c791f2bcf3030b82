import { randomUUID } from 'node:crypto';
import type { JobResult, ReservedJob } from '../core/job.js';
import type { FlowSlots, FlowTickets } from './flow-store.js';

/** What a store's job source offers flow control: its slots, and the lease a funnel slot is held for. */
export interface FlowSupport {
  slots: FlowSlots;
  /** The funnels' lines (order of arrival). Without them a funnel only bounds how many run at once. */
  tickets?: FlowTickets;
  /** The job lease (Bull's lock, `database.retryAfter`), ms: a funnel slot is held this long and renewed. */
  leaseMs: number;
}

/**
 * May the job run now? `run` (then call `done()` once the handler is over: it gives the
 * funnel slot back; and `settled(result)` once the store applied the result: a final one
 * takes the job out of its funnel's line), or `release`: put it back to run after `delayMs`,
 * without using up an attempt (the store undoes the reservation).
 */
export type FlowPass =
  | { type: 'run'; done(): void; settled?(result: JobResult): void }
  | { type: 'release'; delayMs: number; reason: string };

const RUN: FlowPass = { type: 'run', done: () => {} };

/** A result after which the job is no longer pending: it leaves its funnel's line. */
function isFinal(result: JobResult): boolean {
  return result.type === 'complete' || result.type === 'fail';
}

/** `settled` for a job in a funnel's line: a final result drops its ticket (else a dead ticket is skipped anyway). */
function leaveLine(support: FlowSupport, job: ReservedJob): ((result: JobResult) => void) | undefined {
  const funnel = job.payload.flow?.funnel;
  const tickets = support.tickets;
  if (!funnel || !tickets) return undefined;
  return (result) => {
    if (isFinal(result)) tickets.remove(funnel.bucket, job).catch(() => {}); // a dead ticket is skipped anyway
  };
}

/**
 * Flow control before the handler (README "Flow control"): the funnel first (its turn in the key's line,
 * then a slot held for the lease, renewed while the handler runs), then the throttle (a slot
 * held `every` ms). A job that finds either full, or that is not yet its turn, is released:
 * to when the throttle's first slot frees, or after the funnel's `retryAfter`; a funnel slot
 * taken for a job the throttle then holds back is given back at once. Its turn: fewer than
 * `limit` older jobs of the key still pending (running, waiting, or retrying: a retried job
 * keeps its place, so the ones after it wait for it), so a funnel runs a key's jobs in order
 * of arrival. Jobs without flow control, callback deliveries, jobs handed over only to be
 * failed and jobs past their `retryUntil` (the processor fails them) run as they are.
 */
export async function passFlow(support: FlowSupport, job: ReservedJob, now = Date.now()): Promise<FlowPass> {
  const flow = job.payload.flow;
  if (!flow || job.payload.kind !== 'replay') return RUN;
  const settled = leaveLine(support, job);
  if (job.leasesExhausted || (job.payload.retryUntil !== undefined && now >= job.payload.retryUntil)) {
    return { type: 'run', done: () => {}, settled }; // failed by the processor: out of the line
  }
  const { slots, leaseMs } = support;
  const holder = `${job.id}:${job.attempt}:${randomUUID().slice(0, 8)}`;
  const funnel = flow.funnel;
  if (funnel) {
    if (support.tickets && !(await support.tickets.turn(funnel.bucket, funnel.limit, job))) {
      return {
        type: 'release',
        delayMs: funnel.retryAfter,
        reason: `waiting for its turn (funnel of ${funnel.limit})`,
      };
    }
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
  if (!funnel) return { type: 'run', done: () => {}, settled };
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
    settled,
  };
}
