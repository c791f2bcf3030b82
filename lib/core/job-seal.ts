import type { JobPayload, SealedCallback, SealedRequest } from './job.js';
import { jobBinding } from './job-binding.js';
import { SealedBoxError, type SealedBox } from './sealed-box.js';
import { openRequest, sealRequest } from './sealed-request.js';

/** The secret part of each kind of job: a replay's request, a delivery's outcome and token. */
export interface JobSecrets {
  replay: SealedRequest;
  callback: SealedCallback;
}

/** A job's plain fields, all but its sealed part. */
export type PlainJob<K extends JobPayload['kind'] = JobPayload['kind']> = Omit<JobPayload, 'sealed' | 'kind'> & {
  kind: K;
};

/**
 * The payload of a job: its plain fields, and its secret part sealed and bound to them
 * (`jobBinding`), so that a job re-aimed in the store no longer opens. A replay's request is
 * sealed as a binary frame (`sealed-request.ts`: the body encoded once), a delivery's as JSON.
 */
export function sealJob<K extends JobPayload['kind']>(
  box: SealedBox,
  plain: PlainJob<K>,
  secret: JobSecrets[K],
): JobPayload {
  const context = jobBinding(plain);
  const sealed =
    plain.kind === 'replay' ? sealRequest(box, secret as SealedRequest, context) : box.seal(secret, context);
  return { ...plain, sealed };
}

/**
 * The secret part of a `kind` job. Throws `SealedBoxError` when the job is of another kind,
 * or its sealed part does not open: tampered, re-aimed, or sealed with an unknown key.
 */
export function openJob<K extends JobPayload['kind']>(box: SealedBox, payload: JobPayload, kind: K): JobSecrets[K] {
  if (payload.kind !== kind) throw new SealedBoxError(`a ${payload.kind} job where a ${kind} job was expected`);
  const context = jobBinding(payload);
  if (kind === 'replay') return openRequest(box, payload.sealed, context) as JobSecrets[K];
  return box.open<JobSecrets[K]>(payload.sealed, context);
}
