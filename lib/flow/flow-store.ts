/**
 * What a store gives flow control: counted slots per bucket, held atomically in the store
 * so the limits hold across worker processes. A throttle takes a slot for `every` ms and
 * never gives it back (at most N starts in any window of that length: a sliding log); a
 * funnel takes one for the holder's lease, renews it with the lease, and gives it back
 * when the replay is over. A worker that dies holding a funnel slot stops renewing it, so
 * the slot frees itself when its time runs out.
 */
export interface FlowSlots {
  /**
   * Takes one of `limit` slots of `bucket` for `holder` until `now + holdMs`, atomically:
   * `{ taken: true }`, or when all `limit` are held, `{ taken: false, freeAt }` (unix ms when
   * the first one frees, never before `now`).
   */
  take(bucket: string, limit: number, holder: string, holdMs: number, now: number): Promise<SlotTake>;
  /** Holds `holder`'s slot until `now + holdMs` (its lease was renewed); no-op if it lost it. */
  renew(bucket: string, holder: string, holdMs: number, now: number): Promise<void>;
  /** Frees `holder`'s slot now; no-op if it no longer holds one. */
  give(bucket: string, holder: string): Promise<void>;
}

export type SlotTake = { taken: true } | { taken: false; freeAt: number };

/** The job a funnel ticket stands for: its id and queue in the store. */
export interface TicketHolder {
  id: string;
  queue: string;
}

/**
 * A funnel's line, in the store: every job queued with a funnel gets a ticket at its 202,
 * atomically with the job (Redis: in the enqueue script; SQL: in the enqueue transaction),
 * ordered by arrival. A ticket is live while its job is pending (waiting, delayed for a
 * retry, held back, running); one whose job completed, failed for good or was deleted is
 * dead and skipped (and dropped), so such a job never blocks its key.
 */
export interface FlowTickets {
  /**
   * True when fewer than `limit` live tickets of `bucket` came before `job`'s: its turn.
   * A job without a ticket (queued before tickets existed, or retried by hand after it
   * failed) gets one at the back of the line first.
   */
  turn(bucket: string, limit: number, job: TicketHolder): Promise<boolean>;
  /** Drops `job`'s ticket (it completed or failed for good); no-op when it has none. */
  remove(bucket: string, job: TicketHolder): Promise<void>;
}
