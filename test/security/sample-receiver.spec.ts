import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCallback } from '../../lib/index.js';
import { CallbackReceiverController, DEMO_CALLBACK_TOKEN } from '../../sample-app/callback-receiver.controller.js';

describe('sample app /callback_receiver', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [CallbackReceiverController] }).compile();
    app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app.close());

  const body = JSON.stringify({ correlationId: 'c', status: 'completed', attempts: 1, response: null });
  const headers = (token: string, at = new Date()) => ({
    'content-type': 'application/json',
    'webhook-id': 'msg_demo',
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signCallback(token, 'msg_demo', at, body),
  });

  it('accepts a callback signed with DEMO_CALLBACK_TOKEN', async () => {
    expect(
      (await fetch(`${base}/callback_receiver`, { method: 'POST', headers: headers(DEMO_CALLBACK_TOKEN), body }))
        .status,
    ).toBe(204);
  });

  it('refuses unsigned, wrongly signed and stale callbacks with 401', async () => {
    const post = (h: Record<string, string>) =>
      fetch(`${base}/callback_receiver`, { method: 'POST', headers: h, body }).then((r) => r.status);
    expect(await post({ 'content-type': 'application/json' })).toBe(401);
    expect(await post(headers('some-other-token-0123456789'))).toBe(401);
    expect(await post(headers(DEMO_CALLBACK_TOKEN, new Date(Date.now() - 3_600_000)))).toBe(401);
  });
});
