import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { verifyCallback } from 'nestjs-request-queue';
import { RequestQueueTester, RequestQueueTestingModule } from 'nestjs-request-queue/testing';
import { EchoController } from './echo.controller.js';
import requestQueueConfig from './request-queue.config.js';

const TOKEN = 'client-callback-token-0123456789';

/** The app's queued path in Vitest, on Fastify, with the in-memory store of the testing module. */
describe('EchoController, queued (no database)', () => {
  let app: INestApplication;
  let queue: RequestQueueTester;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RequestQueueTestingModule.forRoot(requestQueueConfig())],
      controllers: [EchoController],
    }).compile();
    app = moduleRef.createNestApplication(new FastifyAdapter(), { rawBody: true });
    await app.listen(0, '127.0.0.1');
    queue = app.get(RequestQueueTester);
  });

  afterEach(() => app.close());

  it('queues a PUT, replays it through the app, and records the signed callback', async () => {
    const res = await fetch(`${await app.getUrl()}/echo/7?tag=x`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'echo-7' },
      body: JSON.stringify({ qty: 1.5, _callback_url: 'https://client.example/hooks', _callback_token: TOKEN }),
    });
    expect(res.status).toBe(202);
    const [queued] = queue.queued();
    expect(queued).toMatchObject({ method: 'PUT', path: '/echo/7', query: { tag: 'x' }, body: { qty: 1.5 } });
    expect(queued.headers['x-correlation-id']).toBe('echo-7');

    const ran = await queue.runQueued();
    expect(ran.map((job) => `${job.kind} ${job.result}`)).toEqual(['replay complete', 'callback complete']);

    const [callback] = queue.callbacks();
    expect(callback.body.response?.body).toMatchObject({
      id: '7',
      method: 'PUT',
      query: { tag: 'x' },
      body: { qty: 1.5 },
    });
    expect(verifyCallback(TOKEN, callback.rawBody, callback.headers).payload).toMatchObject({
      correlationId: 'echo-7',
      status: 'completed',
    });
  });
});
