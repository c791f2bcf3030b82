import type { NewJob } from './job.js';
import type { StatusRecord, StatusSeed } from './request-status.js';

/**
 * The part of the store the HTTP side of the core uses: claim an id, store a job, read a
 * status record. Every `RequestQueueStore` (lib/store/request-queue.store.ts, where the
 * guarantees are stated: atomic claims, fast `StoreUnavailableError`) is one; declared here
 * so that lib/core does not import lib/store.
 */
export interface RequestStore {
  /** Claims `correlationId` for `ttlMs` for a request handled synchronously; false if already held. */
  claim(correlationId: string, ttlMs: number): Promise<boolean>;
  /** Claims `correlationId` and stores `job` with its `queued` status record, atomically; null when the id was held. */
  enqueue(job: NewJob, correlationId: string, ttlMs: number, seed?: StatusSeed): Promise<string | null>;
  /** The status record of a queued request; null when there is none. */
  readStatus(correlationId: string): Promise<StatusRecord | null>;
}

/** The part of the store a status reader uses. */
export type StatusStore = Pick<RequestStore, 'readStatus'>;
