import { readCorrelationId } from './correlation-id.js';
import { FINAL_STATES } from './request-status.js';
import type { StatusStore } from './request-store.js';
import type { SealedBox } from './sealed-box.js';
import type { StatusLinks } from './status-links.js';
import { toStatusView, type StatusView } from './status-view.js';

/** What a status read answers: nothing (404), or the view and, while not final, when to ask again. */
export type StatusAnswer = { found: false } | { found: true; view: StatusView; retryAfterSec?: number };

/** Seconds a client is asked to wait before polling a request that is not final yet. */
const POLL_AFTER_SEC = 1;

/**
 * Answers `GET` on a status resource (README "Where is my request?"). Only a caller holding the capability of the
 * id learns anything: a wrong capability, another request's capability and an id never
 * queued all get the same `{ found: false }`, after the same work (the store is read
 * whether the capability holds or not, so the answer's timing tells nothing either).
 * Rejects with `StoreUnavailableError` when the store cannot be read (503).
 */
export class RequestStatusReader {
  constructor(
    private readonly store: StatusStore,
    private readonly links: StatusLinks,
    private readonly box: SealedBox,
  ) {}

  async read(correlationId: string, capability: unknown): Promise<StatusAnswer> {
    const id = readCorrelationId(correlationId);
    if (!id.ok) return { found: false };
    const record = await this.store.readStatus(correlationId);
    const allowed = this.links.verify(correlationId, capability);
    if (!allowed || !record) return { found: false };
    const view = toStatusView(record, this.box);
    if (FINAL_STATES.has(record.state)) return { found: true, view };
    const untilNext = record.nextAttemptAt === undefined ? 0 : Math.ceil((record.nextAttemptAt - Date.now()) / 1000);
    return { found: true, view, retryAfterSec: Math.max(POLL_AFTER_SEC, untilNext) };
  }

  /** The status URL of a request (what its 202 carries as `Location`). */
  url(correlationId: string): string {
    return this.links.url(correlationId);
  }
}
