import { describe, expect, it } from 'vitest';
import type { ReservedJob } from '../core/job.js';
import { passFlow, type FlowPass } from './flow-gate.js';
import type { FlowSlots, FlowTickets, SlotTake, TicketHolder } from './flow-store.js';

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

/**
 * Lines as the stores keep them, in memory: tickets in order of arrival, live while the
 * job is in `pending` (the stores read that from the job itself: its row, its Bull hash).
 */
class MemoryTickets implements FlowTickets {
  readonly lines = new Map<string, string[]>();
  readonly pending = new Set<string>();
  enqueue(bucket: string, id: string): void {
    this.lines.set(bucket, [...(this.lines.get(bucket) ?? []), id]);
    this.pending.add(id);
  }
  async turn(bucket: string, limit: number, job: TicketHolder): Promise<boolean> {
    const line = this.lines.get(bucket) ?? [];
    if (!line.includes(job.id)) line.push(job.id);
    this.lines.set(bucket, line);
    const ahead = line.slice(0, line.indexOf(job.id)).filter((id) => this.pending.has(id));
    return ahead.length < limit;
  }
  async remove(bucket: string, job: TicketHolder): Promise<void> {
    this.lines.set(
      bucket,
      (this.lines.get(bucket) ?? []).filter((id) => id !== job.id),
    );
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

  describe('funnel lines (order of arrival)', () => {
    const funnel = (limit = 1) => ({ funnel: { bucket: 'f:line', limit, retryAfter: 100 } });
    const nth = (id: string, limit = 1, extra: Partial<ReservedJob> = {}) => ({ ...job(funnel(limit)), id, ...extra });
    const setup = (ids: string[]) => {
      const tickets = new MemoryTickets();
      for (const id of ids) tickets.enqueue('f:line', id);
      return { tickets, support: { slots: new MemorySlots(), tickets, leaseMs: 30_000 } };
    };
    /** The handler is over and the store applied `type`: what the consume loop does. */
    const finish = async (pass: FlowPass, type: 'complete' | 'fail' | 'retry', tickets: MemoryTickets, id: string) => {
      if (pass.type !== 'run') throw new Error('expected a run');
      pass.done();
      if (type !== 'retry') tickets.pending.delete(id); // the store deleted or failed the job
      pass.settled?.(
        type === 'retry' ? { type, delayMs: 10, error: 'x' } : type === 'fail' ? { type, error: 'x' } : { type },
      );
      await new Promise((resolve) => setImmediate(resolve));
    };

    it('runs a later job only once every earlier one of its key is over, even with the funnel slot free', async () => {
      const { tickets, support } = setup(['1', '2', '3']);
      // 2 comes first (1 is delayed, say): not its turn, and it took no slot
      expect(await passFlow(support, nth('2'), 0)).toMatchObject({
        type: 'release',
        delayMs: 100,
        reason: expect.stringMatching(/turn/) as unknown,
      });
      expect(support.slots.held.get('f:line')?.size ?? 0).toBe(0);
      const first = await passFlow(support, nth('1'), 1);
      expect(first.type).toBe('run');
      expect((await passFlow(support, nth('3'), 2)).type).toBe('release');
      await finish(first, 'complete', tickets, '1');
      expect(tickets.lines.get('f:line')).toEqual(['2', '3']); // its ticket left the line
      expect((await passFlow(support, nth('3'), 3)).type).toBe('release');
      const second = await passFlow(support, nth('2'), 4);
      expect(second.type).toBe('run');
      await finish(second, 'complete', tickets, '2');
      expect((await passFlow(support, nth('3'), 5)).type).toBe('run');
    });

    it('keeps a retried job in its place: the next one waits for its retry', async () => {
      const { tickets, support } = setup(['1', '2']);
      const tried = await passFlow(support, nth('1'), 0);
      await finish(tried, 'retry', tickets, '1');
      expect(tickets.lines.get('f:line')).toEqual(['1', '2']);
      expect((await passFlow(support, nth('2'), 1)).type).toBe('release');
      const again = await passFlow(support, nth('1', 1, { attempt: 2 }), 2);
      expect(again.type).toBe('run');
      await finish(again, 'fail', tickets, '1'); // failed for good: no longer blocks the key
      expect((await passFlow(support, nth('2'), 3)).type).toBe('run');
    });

    it('gives a funnel of N its slots in order of arrival', async () => {
      const { support } = setup(['1', '2', '3', '4']);
      expect((await passFlow(support, nth('3', 2), 0)).type).toBe('release');
      expect((await passFlow(support, nth('2', 2), 0)).type).toBe('run');
      expect((await passFlow(support, nth('4', 2), 0)).type).toBe('release');
      expect((await passFlow(support, nth('1', 2), 0)).type).toBe('run');
    });

    it('skips a job that is gone without a result (deleted), and drops the ticket of one failed unrun', async () => {
      const { tickets, support } = setup(['1', '2', '3']);
      tickets.pending.delete('1'); // deleted by an operator: its ticket is dead
      expect((await passFlow(support, nth('3'), 0)).type).toBe('release');
      // 2 lost its leases: handed over to be failed, it runs (to fail) without the funnel
      const failing = await passFlow(support, nth('2', 1, { leasesExhausted: true }), 1);
      await finish(failing, 'fail', tickets, '2');
      expect(tickets.lines.get('f:line')).toEqual(['1', '3']);
      expect((await passFlow(support, nth('3'), 2)).type).toBe('run');
    });

    it('gives a job without a ticket one at the back of the line', async () => {
      const { tickets, support } = setup(['1']);
      expect((await passFlow(support, nth('9'), 0)).type).toBe('release');
      expect(tickets.lines.get('f:line')).toEqual(['1', '9']);
    });
  });
});
