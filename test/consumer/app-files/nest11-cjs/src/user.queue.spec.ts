import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { verifyCallback } from 'nestjs-request-queue';
import { RequestQueueTester, RequestQueueTestingModule } from 'nestjs-request-queue/testing';
import requestQueueConfig from './request-queue.config';
import { UserController } from './user.controller';

const TOKEN = 'client-callback-token-0123456789';

describe('UserController, queued (no Redis, no database)', () => {
  let app: INestApplication;
  let queue: RequestQueueTester;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      // The app's own options; the store is in memory and nothing is sent.
      imports: [RequestQueueTestingModule.forRoot(requestQueueConfig())],
      controllers: [UserController],
    }).compile();
    app = moduleRef.createNestApplication({ rawBody: true });
    await app.listen(0); // runQueued() replays through this server, whatever port it got
    queue = app.get(RequestQueueTester);
  });

  afterEach(() => app.close());

  it('answers 202, replays the request later, and signs the callback', async () => {
    await request(app.getHttpServer())
      .put('/user/42')
      .set('X-Correlation-ID', 'order-42')
      .send({ name: 'Ada', _callback_url: 'https://client.example/hooks', _callback_token: TOKEN })
      .expect(202);

    expect(queue.queued()).toMatchObject([
      { method: 'PUT', path: '/user/42', body: { name: 'Ada' }, correlationId: 'order-42' },
    ]);

    await queue.runQueued(); // the worker's own code, against this app

    const [callback] = queue.callbacks(); // what would have been POSTed to the client
    expect(callback.url).toBe('https://client.example/hooks');
    expect(callback.body).toMatchObject({
      status: 'completed',
      response: { status: 200, body: { id: '42', name: 'Ada' } },
    });
    const verified = verifyCallback(TOKEN, callback.rawBody, callback.headers);
    expect(verified.payload.correlationId).toBe('order-42');
    expect(queue.queued()).toEqual([]);
  });
});
