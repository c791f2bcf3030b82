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
