import type { JobPayload } from './job.js';

/**
 * The plain fields of a job that its sealed part is bound to, as AES-GCM additional
 * authenticated data. Whoever can write to the store but holds no key cannot re-aim a job —
 * another path or method for the stored credentials, another callback URL for the outcome —
 * without the sealed part failing to open, which fails the job.
 */
export function jobBinding(
  p: Pick<JobPayload, 'v' | 'kind' | 'correlationId' | 'method' | 'path' | 'callbackUrl' | 'webhookId'>,
): string {
  return JSON.stringify([p.v, p.kind, p.correlationId, p.method, p.path, p.callbackUrl, p.webhookId ?? null]);
}
