import type { Outcome } from './job.js';
import { FINAL_STATES, type RequestState, type StatusRecord } from './request-status.js';
import type { SealedBox } from './sealed-box.js';

/**
 * The additional authenticated data a status record's outcome is sealed with: the outcome
 * opens only as the outcome of that correlation id, so whoever can write to the store
 * cannot move one request's answer under another's id.
 */
export function statusBinding(correlationId: string): string {
  return JSON.stringify(['status', 1, correlationId]);
}

/** What `GET` on a status resource answers (README "Where is my request?"); ISO 8601 times. */
export interface StatusView {
  correlationId: string;
  status: RequestState;
  attempts: number;
  queuedAt: string;
  updatedAt: string;
  /** When a delayed or retrying request may run next. */
  nextAttemptAt?: string;
  /** The outcome, exactly as the callback carries it; present once final. */
  result?: Outcome;
}

/**
 * The client's view of a record. A final record whose outcome cannot be opened (sealed
 * under a secret no longer configured, or tampered with) reads as final without `result`
 * rather than failing the read.
 */
export function toStatusView(record: StatusRecord, box: SealedBox): StatusView {
  const view: StatusView = {
    correlationId: record.correlationId,
    status: record.state,
    attempts: record.attempts,
    queuedAt: new Date(record.queuedAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
  if (record.nextAttemptAt !== undefined && !FINAL_STATES.has(record.state)) {
    view.nextAttemptAt = new Date(record.nextAttemptAt).toISOString();
  }
  if (record.result !== undefined && FINAL_STATES.has(record.state)) {
    const result = openOutcome(record, box);
    if (result) view.result = result;
  }
  return view;
}

function openOutcome(record: StatusRecord, box: SealedBox): Outcome | undefined {
  try {
    return box.open<Outcome>(record.result!, statusBinding(record.correlationId));
  } catch {
    return undefined;
  }
}
