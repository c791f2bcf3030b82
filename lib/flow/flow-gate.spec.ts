import { describe, expect, it } from 'vitest';
import type { ReservedJob } from '../core/job.js';
import { passFlow } from './flow-gate.js';
import type { FlowSlots, SlotTake } from './flow-store.js';

/** Slots as the stores keep them, in memory: the policy under test is passFlow's, not the store's. */
class MemorySlots implements FlowSlots {
  readonly held = new Map<string, Map<string, number>>();
  async take(bucket: string, limit: number, holder: string, holdMs: number, now: number): Promise<SlotTake> {
    const slots = this.held.get(bucket) ?? new Map<string, number>();
    this.held.set(bucket, slots);
    for (const [h, until] of slots) if (until <= now) slots.delete(h);
    if (slots.size < limit) {
      slots.set(holder, now + holdMs);
      return { taken: true };
    }
    return { taken: false, freeAt: Math.min(...slots.values()) };
  }
  async renew(bucket: string, holder: string, holdMs: number, now: number): Promise<void> {
    if (this.held.get(bucket)?.has(holder)) this.held.get(bucket)!.set(holder, now + holdMs);
  }
  async give(bucket: string, holder: string): Promise<void> {
    this.held.get(bucket)?.delete(holder);
  }
}

function job(flow: ReservedJob['payload']['flow'], extra: Partial<ReservedJob['payload']> = {}): ReservedJob {
  return {
    id: '1',
    queue: 'q',
    attempt: 1,
    payload: {
      v: 1,
      kind: 'replay',
      correlationId: 'c',
      method: 'PUT',
      path: '/',
      callbackUrl: '',
      queuedAt: 0,
      tries: 1,
      backoff: { type: 'fixed', delay: 1 },
      timeout: 1000,
      sealed: '',
      flow,
      ...extra,
    },
  };
}

describe('passFlow', () => {
  it('lets `allow` jobs through per window, then releases to the end of the first slot, never earlier', async () => {
    const slots = new MemorySlots();
    const support = { slots, leaseMs: 30_000 };
    const j = job({ throttle: { bucket: 't:x', allow: 2, every: 1000 } });
    expect((await passFlow(support, j, 10_000)).type).toBe('run');
    expect((await passFlow(support, j, 10_100)).type).toBe('run');
    expect(await passFlow(support, j, 10_200)).toMatchObject({ type: 'release', delayMs: 800 });
    expect((await passFlow(support, j, 11_000)).type).toBe('run');
  });

  it('holds a funnel slot until done, and gives it back when the throttle holds the job back', async () => {
    const slots = new MemorySlots();
    const support = { slots, leaseMs: 30_000 };
    const funnel = job({ funnel: { bucket: 'f:x', limit: 1, retryAfter: 250 } });
    const first = await passFlow(support, funnel, 0);
    expect(first.type).toBe('run');
    expect(await passFlow(support, funnel, 1)).toMatchObject({ type: 'release', delayMs: 250 });
    if (first.type === 'run') first.done();
    await Promise.resolve();
    const second = await passFlow(support, funnel, 2);
    expect(second.type).toBe('run');
    if (second.type === 'run') second.done();
    await Promise.resolve();

    const both = job({
      funnel: { bucket: 'f:y', limit: 1, retryAfter: 250 },
      throttle: { bucket: 't:y', allow: 1, every: 1000 },
    });
    const ran = await passFlow(support, both, 0);
    if (ran.type === 'run') ran.done();
    await Promise.resolve();
    expect(await passFlow(support, both, 10)).toMatchObject({ type: 'release', delayMs: 990 });
    expect(slots.held.get('f:y')!.size).toBe(0); // the funnel slot went back
  });

  it('leaves alone jobs without flow control, callback jobs and jobs past retryUntil', async () => {
    const slots = new MemorySlots();
    const support = { slots, leaseMs: 30_000 };
    const flow = { throttle: { bucket: 't:z', allow: 1, every: 1000 } };
    expect((await passFlow(support, job(undefined), 0)).type).toBe('run');
    expect((await passFlow(support, job(flow, { kind: 'callback' }), 0)).type).toBe('run');
    expect((await passFlow(support, job(flow, { retryUntil: 5 }), 10)).type).toBe('run');
    expect(slots.held.size).toBe(0);
  });
});
