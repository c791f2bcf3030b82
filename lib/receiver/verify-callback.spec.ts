import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signCallback } from '../core/callback-signature.js';
import type { Outcome } from '../core/job.js';
import { CallbackVerificationError, verifyCallback } from './verify-callback.js';

const TOKEN = 'receiver-test-token-0123456789';
const OUTCOME: Outcome = {
  correlationId: 'c-1',
  status: 'completed',
  attempts: 1,
  response: { status: 204, headers: {}, body: '' },
};
const BODY = JSON.stringify(OUTCOME);
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);

function signed(at = NOW, token = TOKEN, body = BODY, id = 'msg_abc') {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': signCallback(token, id, new Date(at), body),
  };
}

function failure(fn: () => unknown): CallbackVerificationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallbackVerificationError) return err;
    throw err;
  }
  throw new Error('expected a CallbackVerificationError');
}

describe('verifyCallback', () => {
  it('accepts a fresh callback signed with the token and returns the parsed outcome', () => {
    const v = verifyCallback(TOKEN, BODY, signed(), { now: NOW });
    expect(v).toEqual({ webhookId: 'msg_abc', timestamp: new Date(NOW), payload: OUTCOME });
  });

  it('accepts a Buffer body, a fetch Headers object and mixed-case header names', () => {
    const h = signed();
    expect(verifyCallback(TOKEN, Buffer.from(BODY), new Headers(h), { now: NOW }).webhookId).toBe('msg_abc');
    const mixed = {
      'Webhook-Id': h['webhook-id'],
      'Webhook-Timestamp': h['webhook-timestamp'],
      'Webhook-Signature': h['webhook-signature'],
    };
    expect(verifyCallback(TOKEN, BODY, mixed, { now: NOW }).payload).toEqual(OUTCOME);
  });

  it('agrees with the standardwebhooks library both ways (secret = base64 of the token)', () => {
    const wh = new Webhook(Buffer.from(TOKEN).toString('base64'));
    const at = new Date();
    const theirs = {
      'webhook-id': 'msg_x',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': wh.sign('msg_x', at, BODY),
    };
    expect(verifyCallback(TOKEN, BODY, theirs).payload).toEqual(OUTCOME);
    const ours = signed(at.getTime());
    expect(wh.verify(BODY, ours)).toEqual(OUTCOME);
  });

  it('refuses an old callback replayed later, and one from too far in the future', () => {
    expect(failure(() => verifyCallback(TOKEN, BODY, signed(NOW - 301_000), { now: NOW })).reason).toBe(
      'stale-timestamp',
    );
    expect(failure(() => verifyCallback(TOKEN, BODY, signed(NOW + 301_000), { now: NOW })).reason).toBe(
      'stale-timestamp',
    );
    // within tolerance, and a custom tolerance
    expect(verifyCallback(TOKEN, BODY, signed(NOW - 299_000), { now: NOW }).webhookId).toBe('msg_abc');
    expect(
      failure(() => verifyCallback(TOKEN, BODY, signed(NOW - 31_000), { now: NOW, toleranceSec: 30 })).reason,
    ).toBe('stale-timestamp');
  });

  it('refuses a wrong signature, a wrong token, a changed body, id or timestamp', () => {
    const h = signed();
    const flipped = h['webhook-signature'].replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(
      failure(() => verifyCallback(TOKEN, BODY, { ...h, 'webhook-signature': flipped }, { now: NOW })).reason,
    ).toBe('bad-signature');
    expect(failure(() => verifyCallback('another-token-0123456789', BODY, h, { now: NOW })).reason).toBe(
      'bad-signature',
    );
    expect(failure(() => verifyCallback(TOKEN, BODY.replace('completed', 'failed'), h, { now: NOW })).reason).toBe(
      'bad-signature',
    );
    expect(failure(() => verifyCallback(TOKEN, BODY, { ...h, 'webhook-id': 'msg_other' }, { now: NOW })).reason).toBe(
      'bad-signature',
    );
    const ts = String(Number(h['webhook-timestamp']) + 1);
    expect(failure(() => verifyCallback(TOKEN, BODY, { ...h, 'webhook-timestamp': ts }, { now: NOW })).reason).toBe(
      'bad-signature',
    );
  });

  it('refuses signatures of another scheme or length, and empty tokens', () => {
    const h = signed();
    const sig = h['webhook-signature'].slice(3);
    expect(
      failure(() => verifyCallback(TOKEN, BODY, { ...h, 'webhook-signature': `v1a,${sig}` }, { now: NOW })).reason,
    ).toBe('bad-signature');
    expect(
      failure(() => verifyCallback(TOKEN, BODY, { ...h, 'webhook-signature': `v1,${sig.slice(0, 20)}` }, { now: NOW }))
        .reason,
    ).toBe('bad-signature');
    expect(failure(() => verifyCallback(TOKEN, BODY, { ...h, 'webhook-signature': sig }, { now: NOW })).reason).toBe(
      'bad-signature',
    );
    expect(failure(() => verifyCallback(['', ''], BODY, h, { now: NOW })).reason).toBe('bad-signature');
  });

  it('accepts one valid signature among several, and any of several tokens (rotation)', () => {
    const h = signed();
    const multi = { ...h, 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${h['webhook-signature']}` };
    expect(verifyCallback(TOKEN, BODY, multi, { now: NOW }).webhookId).toBe('msg_abc');
    expect(verifyCallback(['old-token-0123456789abc', TOKEN], BODY, h, { now: NOW }).webhookId).toBe('msg_abc');
  });

  it('refuses missing headers and a malformed timestamp', () => {
    const h = signed();
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [name]: _gone, ...rest } = h;
      expect(failure(() => verifyCallback(TOKEN, BODY, rest, { now: NOW })).reason).toBe('missing-header');
    }
    for (const ts of ['12.5', '-1', 'abc', '1e9', '9999999999999']) {
      expect(failure(() => verifyCallback(TOKEN, BODY, { ...h, 'webhook-timestamp': ts }, { now: NOW })).reason).toBe(
        'bad-timestamp',
      );
    }
  });

  it('refuses a correctly signed body that is not JSON', () => {
    expect(failure(() => verifyCallback(TOKEN, 'not json', signed(NOW, TOKEN, 'not json'), { now: NOW })).reason).toBe(
      'bad-body',
    );
  });
});
