import type { JobPayload } from '../core/job.js';

/** True for what `RequestQueue` stores (a guard against foreign or corrupted jobs). */
export function isJobPayload(value: unknown): value is JobPayload {
  if (!value || typeof value !== 'object') return false;
  const p = value as Partial<JobPayload>;
  return (
    p.v === 1 &&
    (p.kind === 'replay' || p.kind === 'callback') &&
    typeof p.correlationId === 'string' &&
    typeof p.method === 'string' &&
    typeof p.path === 'string' &&
    typeof p.callbackUrl === 'string' &&
    typeof p.sealed === 'string' &&
    typeof p.tries === 'number' &&
    typeof p.timeout === 'number'
  );
}
