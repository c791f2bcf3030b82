import { randomUUID } from 'node:crypto';
import { InjectQueue } from '@nestjs/bull';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Queue } from 'bull';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestQueueBullModule } from '../../lib/bull/index.js';
import { RequestQueueModule } from '../../lib/index.js';
import { EchoController, SeenRequests } from '../support/echo.controller.js';
import { redisStore, type StoreHarness } from '../support/stores.js';

@Injectable()
class QueueWatcher {
  constructor(@InjectQueue('api:request') readonly queue: Queue) {}
}

describe('RequestQueueBullModule (@nestjs/bull tokens)', () => {
  let app: INestApplication;
  let harness: StoreHarness;

  beforeAll(async () => {
    harness = await redisStore.create();
    const moduleRef = await Test.createTestingModule({
      imports: [
        RequestQueueModule.forRoot({ ...harness.options, baseUrl: 'http://127.0.0.1:1', secret: 'bull-test' }),
        RequestQueueBullModule.forQueues(['api:request']),
      ],
      controllers: [EchoController],
      providers: [SeenRequests, QueueWatcher],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await harness?.cleanup();
  });

  it('lets @InjectQueue() see the jobs the interceptor stored (no worker runs here)', async () => {
    const id = randomUUID();
    const res = await fetch(`${await app.getUrl()}/echo/1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-correlation-id': id },
      body: JSON.stringify({ _callback_url: 'https://hooks.example.com/cb', _callback_token: 'bull-token-0123456789' }),
    });
    expect(res.status).toBe(202);
    const queue = app.get(QueueWatcher).queue;
    const waiting = await queue.getWaiting();
    expect(waiting.map((job) => (job.data as { correlationId: string }).correlationId)).toContain(id);
    expect(JSON.stringify(waiting.map((job) => job.data as unknown))).not.toContain('bull-token-0123456789');
  });

  it('refuses to start on the database driver', async () => {
    const moduleRef = Test.createTestingModule({
      imports: [
        RequestQueueModule.forRoot({
          driver: 'database',
          database: { url: 'sqlite::memory:', migrationsRun: true },
          secret: 'x',
        }),
        RequestQueueBullModule.forQueues(['api:request']),
      ],
    });
    await expect(moduleRef.compile()).rejects.toThrow(/needs driver 'redis'/);
  });
});
