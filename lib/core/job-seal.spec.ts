import { describe, expect, it } from 'vitest';
import { openRequest } from './sealed-request.js';
import { jobBinding } from './job-binding.js';
import { openJob, sealJob, type PlainJob } from './job-seal.js';
import type { SealedRequest } from './job.js';
import { SealedBox, SealedBoxError } from './sealed-box.js';
import { deriveKeys } from './secret-keys.js';

const box = new SealedBox(deriveKeys('job-seal-secret'));

const plain: PlainJob<'replay'> = {
  v: 1,
  kind: 'replay',
  correlationId: 'c-1',
  method: 'PUT',
  path: '/user/1',
  callbackUrl: 'https://receiver.example/hook',
  queuedAt: 1,
  tries: 3,
  backoff: { type: 'fixed', delay: 100 },
  timeout: 1000,
};
const secret: SealedRequest = { headers: { 'x-a': '1' }, body: Buffer.from('{}'), callbackToken: 'token-1' };

describe('sealJob / openJob', () => {
  it('keeps the plain fields and opens the secret part again', () => {
    const payload = sealJob(box, plain, secret);
    expect(payload).toMatchObject(plain);
    expect(openJob(box, payload, 'replay')).toEqual(secret);
  });

  it('stores what the sealed box and the job binding make (the stored format: a replay as a request frame)', () => {
    const payload = sealJob(box, plain, secret);
    expect(payload.sealed).toMatch(/^v1\./);
    expect(openRequest(box, payload.sealed, jobBinding(payload))).toEqual(secret);
  });

  it('does not open a job re-aimed in the store', () => {
    const payload = sealJob(box, plain, secret);
    expect(() => openJob(box, { ...payload, path: '/admin/1' }, 'replay')).toThrow(SealedBoxError);
  });

  it('refuses a job of the other kind', () => {
    const payload = sealJob(box, plain, secret);
    expect(() => openJob(box, payload, 'callback')).toThrow(/a replay job where a callback job was expected/);
  });
});
