import type { ReceivedCallback } from '../../support/callback-receiver.js';

/** What the receiver got for the requests that were answered 202. */
export interface OutcomeTally {
  /** Requests answered 202. */
  accepted: number;
  /** Of those, how many got at least one callback. */
  withOutcome: number;
  /** Accepted requests without any callback: a lost outcome. */
  lost: string[];
  /** Callbacks beyond the first for the same request (at-least-once delivery). */
  duplicates: number;
  /** Requests whose callbacks do not share one `webhook-id` and one status: more than one outcome. */
  conflicting: string[];
  /** Callbacks whose signature did not verify. */
  unverified: number;
  /** Callbacks for a correlation id that was never answered 202. */
  unexpected: string[];
  /** The (first) callback of each request that got one. */
  first: Map<string, ReceivedCallback>;
}

/**
 * Matches the callbacks the receiver got against the requests answered 202: every one must
 * have exactly one outcome (one `webhook-id`, one status), delivered at least once.
 */
export function tallyOutcomes(accepted: readonly string[], calls: readonly ReceivedCallback[]): OutcomeTally {
  const byId = new Map<string, ReceivedCallback[]>();
  for (const call of calls) {
    const list = byId.get(call.body.correlationId) ?? [];
    list.push(call);
    byId.set(call.body.correlationId, list);
  }
  const wanted = new Set(accepted);
  const tally: OutcomeTally = {
    accepted: accepted.length,
    withOutcome: 0,
    lost: [],
    duplicates: 0,
    conflicting: [],
    unverified: calls.filter((c) => !c.verified).length,
    unexpected: [...byId.keys()].filter((id) => !wanted.has(id)),
    first: new Map(),
  };
  for (const id of accepted) {
    const got = byId.get(id);
    if (!got?.length) {
      tally.lost.push(id);
      continue;
    }
    tally.withOutcome++;
    tally.duplicates += got.length - 1;
    tally.first.set(id, got[0]!);
    const outcomes = new Set(got.map((c) => `${String(c.headers['webhook-id'])} ${c.body.status}`));
    if (outcomes.size > 1) tally.conflicting.push(id);
  }
  return tally;
}

/** Whether every accepted request has a callback by now. */
export function allHaveOutcomes(accepted: readonly string[], calls: readonly ReceivedCallback[]): boolean {
  const seen = new Set(calls.map((c) => c.body.correlationId));
  return accepted.every((id) => seen.has(id));
}
