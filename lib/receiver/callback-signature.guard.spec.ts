import 'reflect-metadata';
import { Controller, HttpCode, Module, Post, UseGuards, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCallback } from '../core/callback-signature.js';
import {
  CALLBACK_SIGNATURE_OPTIONS,
  CallbackSignatureGuard,
  type CallbackRequest,
} from './callback-signature.guard.js';

const TOKEN = 'guard-test-token-0123456789';
const TOKENS: Record<string, string> = { 'cid-a': 'token-for-a-0123456789', 'cid-b': 'token-for-b-0123456789' };

@Controller('fixed')
@UseGuards(CallbackSignatureGuard.with({ token: TOKEN }))
class FixedController {
  @Post()
  @HttpCode(204)
  receive(): void {}
}

@Controller('looked-up')
@UseGuards(CallbackSignatureGuard)
class LookedUpController {
  @Post()
  @HttpCode(204)
  receive(): void {}
}

@Module({
  controllers: [FixedController, LookedUpController],
  providers: [
    {
      provide: CALLBACK_SIGNATURE_OPTIONS,
      useValue: {
        token: async (req: CallbackRequest) => TOKENS[String(req.headers['x-correlation-id'])],
        toleranceSec: 60,
      },
    },
  ],
})
class ReceiverModule {}

function sign(token: string, body: string, at = new Date(), id = 'msg_1') {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signCallback(token, id, at, body),
  };
}

describe.each(['express', 'fastify'] as const)('CallbackSignatureGuard on %s', (adapter) => {
  let app: INestApplication;
  let base: string;
  const body = JSON.stringify({ correlationId: 'cid-a', status: 'completed', attempts: 1, response: null });

  for (const rawBody of [true, false]) {
    describe(`rawBody: ${rawBody}`, () => {
      beforeAll(async () => {
        const moduleRef = await Test.createTestingModule({ imports: [ReceiverModule] }).compile();
        app =
          adapter === 'fastify'
            ? moduleRef.createNestApplication(new FastifyAdapter(), { rawBody, logger: false })
            : moduleRef.createNestApplication({ rawBody, logger: false });
        await app.listen(0, '127.0.0.1');
        base = await app.getUrl();
        base = base.replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
      });
      afterAll(() => app.close());

      const post = (path: string, headers: Record<string, string>, payload = body) =>
        fetch(`${base}${path}`, { method: 'POST', headers, body: payload });

      it('lets a fresh, correctly signed callback through', async () => {
        expect((await post('/fixed', sign(TOKEN, body))).status).toBe(204);
      });

      it('answers 401 with the reason for a wrong signature, an old timestamp, missing headers', async () => {
        const wrong = await post('/fixed', sign('not-the-token-0123456789', body));
        expect(wrong.status).toBe(401);
        expect(((await wrong.json()) as { message: string }).message).toContain('does not match');
        const old = await post('/fixed', sign(TOKEN, body, new Date(Date.now() - 10 * 60_000)));
        expect(old.status).toBe(401);
        expect(((await old.json()) as { message: string }).message).toContain('from now');
        expect((await post('/fixed', { 'content-type': 'application/json' })).status).toBe(401);
      });

      it('refuses a body changed after signing', async () => {
        expect((await post('/fixed', sign(TOKEN, body), body.replace('completed', 'failed'))).status).toBe(401);
      });

      it('finds the token per request through the injected provider', async () => {
        expect(
          (await post('/looked-up', { ...sign(TOKENS['cid-a']!, body), 'x-correlation-id': 'cid-a' })).status,
        ).toBe(204);
        expect(
          (await post('/looked-up', { ...sign(TOKENS['cid-a']!, body), 'x-correlation-id': 'cid-b' })).status,
        ).toBe(401);
        expect(
          (await post('/looked-up', { ...sign(TOKENS['cid-a']!, body), 'x-correlation-id': 'unknown' })).status,
        ).toBe(401);
      });

      it('applies the provider tolerance (60 s)', async () => {
        const at = new Date(Date.now() - 120_000);
        expect(
          (await post('/looked-up', { ...sign(TOKENS['cid-a']!, body, at), 'x-correlation-id': 'cid-a' })).status,
        ).toBe(401);
      });
    });
  }
});
