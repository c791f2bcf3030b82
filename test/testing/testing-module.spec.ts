import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Injectable, Module, Param, Put, Query, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { QueueableRequest, RequestQueueRuntime, verifyCallback } from '../../lib/index.js';
import { RequestQueueTester, RequestQueueTestingModule } from '../../lib/testing/index.js';
import { ADAPTERS, type AdapterName } from '../support/test-app.js';

const TOKEN = 'testing-module-callback-token-0123';
const CALLBACK_URL = 'https://client.example/hooks/orders';

@Injectable()
class Handled {
  readonly calls: { id: string; body: unknown; query: unknown }[] = [];
  failNext = 0;
}

@QueueableRequest({ tries: 2, backoff: { type: 'fixed', delay: 60_000 } })
@Controller('orders')
class OrdersController {
  constructor(private readonly handled: Handled) {}

  @Put(':id')
  put(@Param('id') id: string, @Body() body: Record<string, unknown>, @Query() query: Record<string, unknown>) {
    if (this.handled.failNext > 0) {
      this.handled.failNext--;
      throw new Error('database is busy');
    }
    this.handled.calls.push({ id, body, query });
    return { id, ...body };
  }
}

async function createApp(adapter: AdapterName, listen: boolean, deliverCallbacks = false) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      RequestQueueTestingModule.forRoot({
        secret: 'testing-module-secret',
        deliverCallbacks,
        callback: { allowedHosts: ['127.0.0.1'] },
      }),
    ],
    controllers: [OrdersController],
    providers: [Handled],
  }).compile();
  const app: INestApplication =
    adapter === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { rawBody: true, logger: false })
      : moduleRef.createNestApplication({ rawBody: true, logger: false });
  if (listen) await app.listen(0, '127.0.0.1');
  else await app.init();
  if (adapter === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
  return app;
}

/** Where the app listens. */
function urlOf(app: INestApplication): string {
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

describe.each(ADAPTERS)('RequestQueueTestingModule (%s)', (adapter) => {
  let app: INestApplication;
  let tester: RequestQueueTester;
  let handled: Handled;
  const events: string[] = [];

  beforeAll(async () => {
    app = await createApp(adapter, true);
    tester = app.get(RequestQueueTester);
    handled = app.get(Handled);
    app.get(RequestQueueRuntime).addEventListener((name, payload) => {
      events.push(`${name} ${'path' in payload ? String(payload.path).split('/')[2] : ''}`);
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  afterEach(() => {
    tester.reset();
    handled.calls.length = 0;
    events.length = 0;
  });

  async function put(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return fetch(urlOf(app) + path, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  it('lists a queued request as the replay would send it, without running it', async () => {
    const res = await put(
      '/orders/7?express=yes',
      { qty: 2, _callback_url: CALLBACK_URL, _callback_token: TOKEN },
      { 'x-correlation-id': 'order-7', authorization: 'Bearer abc' },
    );
    expect(res.status).toBe(202);
    expect(handled.calls).toEqual([]);
    const queued = tester.queued();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({
      correlationId: 'order-7',
      queue: 'api:request',
      method: 'PUT',
      path: '/orders/7',
      url: '/orders/7?express=yes',
      query: { express: 'yes' },
      body: { qty: 2 },
      callbackUrl: CALLBACK_URL,
      attempts: 0,
    });
    expect(queued[0]!.headers).toMatchObject({ authorization: 'Bearer abc', 'x-correlation-id': 'order-7' });
    expect(queued[0]!.headers['content-type']).toContain('application/json');
    expect(queued[0]!.queuedAt).toBeInstanceOf(Date);
    expect(tester.callbacks()).toEqual([]);
  });

  it('serves the status resource from the in-memory store: queued, then completed', async () => {
    const res = await put('/orders/11', { qty: 11, _callback_url: CALLBACK_URL, _callback_token: TOKEN });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    const before = await fetch(new URL(location, urlOf(app)));
    expect(before.status).toBe(200);
    expect(await before.json()).toMatchObject({ status: 'queued' });
    await tester.runQueued();
    const after = await fetch(new URL(location, urlOf(app)));
    expect(await after.json()).toMatchObject({ status: 'completed' });
  });

  it('runs queued requests through the app and records their signed callbacks, sending nothing', async () => {
    for (const id of ['1', '2']) {
      const res = await put(`/orders/${id}`, { qty: Number(id), _callback_url: CALLBACK_URL, _callback_token: TOKEN });
      expect(res.status).toBe(202);
    }
    const ran = await tester.runQueued();
    expect(ran.map((j) => `${j.kind}:${j.result}`)).toEqual([
      'replay:complete',
      'callback:complete',
      'replay:complete',
      'callback:complete',
    ]);
    expect(ran[0]).toMatchObject({ path: '/orders/1', status: 200 });
    expect(events.filter((e) => e.startsWith('request-queue.completed'))).toEqual([
      'request-queue.completed 1',
      'request-queue.completed 2',
    ]);
    expect(handled.calls.map((c) => [c.id, c.body])).toEqual([
      ['1', { qty: 1 }],
      ['2', { qty: 2 }],
    ]);
    expect(tester.queued()).toEqual([]);

    const callbacks = tester.callbacks();
    expect(callbacks).toHaveLength(2);
    const [first] = callbacks;
    expect(first).toMatchObject({
      url: CALLBACK_URL,
      body: { status: 'completed', attempts: 1, response: { status: 200, body: { id: '1', qty: 1 } } },
    });
    expect(first!.delivery).toBeUndefined();
    // The real Standard Webhooks signature, keyed with the request's callback token.
    const verified = verifyCallback(TOKEN, first!.rawBody, first!.headers);
    expect(verified.payload.correlationId).toBe(first!.correlationId);
    const webhook = new Webhook(Buffer.from(TOKEN).toString('base64'));
    expect(webhook.verify(first!.rawBody, first!.headers)).toMatchObject({ status: 'completed' });
    expect(() => verifyCallback('another-token-0123456789', first!.rawBody, first!.headers)).toThrow();
  });

  it('leaves a request waiting on its retry queued, and runs it with includeDelayed', async () => {
    handled.failNext = 1;
    await put('/orders/9', { qty: 9, _callback_url: CALLBACK_URL, _callback_token: TOKEN });
    const first = await tester.runQueued();
    expect(first.map((j) => `${j.kind}:${j.result}:${j.status}`)).toEqual(['replay:retry:500']);
    expect(tester.queued()).toMatchObject([{ path: '/orders/9', attempts: 1 }]);
    expect(tester.callbacks()).toEqual([]);
    const second = await tester.runQueued({ includeDelayed: true });
    expect(second.map((j) => `${j.kind}:${j.result}`)).toEqual(['replay:complete', 'callback:complete']);
    expect(tester.callbacks()[0]!.body).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('answers a request without callback parameters at once (synchronously), queueing nothing', async () => {
    const res = await put('/orders/3', { qty: 3 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: '3', qty: 3 });
    expect(tester.queued()).toEqual([]);
  });

  it('forgets everything on reset()', async () => {
    await put('/orders/4', { qty: 4, _callback_url: CALLBACK_URL, _callback_token: TOKEN });
    expect(tester.queued()).toHaveLength(1);
    tester.reset();
    expect(tester.queued()).toEqual([]);
    expect(await tester.runQueued()).toEqual([]);
  });
});

describe.each(ADAPTERS)('RequestQueueTestingModule, an app that only ran init() (%s)', (adapter) => {
  it('listens on a loopback port for the run, and closes it again', async () => {
    const app = await createApp(adapter, false);
    try {
      const tester = app.get(RequestQueueTester);
      const server = app.getHttpServer() as Server;
      const { default: request } = await import('supertest');
      const res = await request(server)
        .put('/orders/5')
        .send({ qty: 5, _callback_url: CALLBACK_URL, _callback_token: TOKEN });
      expect(res.status).toBe(202);
      const ran = await tester.runQueued();
      expect(ran.map((j) => j.result)).toEqual(['complete', 'complete']);
      expect(app.get(Handled).calls).toHaveLength(1);
      expect(server.listening).toBe(false);
    } finally {
      await app.close();
    }
  });
});

describe('RequestQueueTestingModule with deliverCallbacks', () => {
  let receiver: Server;
  const received: { headers: Record<string, unknown>; body: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('sends nothing to the callback URL by default', async () => {
    const app = await createApp('express', true);
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callback`;
      const res = await fetch(urlOf(app) + '/orders/8', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ qty: 8, _callback_url: url, _callback_token: TOKEN }),
      });
      expect(res.status).toBe(202);
      await app.get(RequestQueueTester).runQueued();
      expect(app.get(RequestQueueTester).callbacks()).toMatchObject([{ url, body: { status: 'completed' } }]);
      expect(received).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('also POSTs each callback to its URL when asked', async () => {
    const app = await createApp('express', true, true);
    try {
      const port = (receiver.address() as AddressInfo).port;
      const url = `http://127.0.0.1:${port}/callback`;
      const res = await fetch(urlOf(app) + '/orders/6', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ qty: 6, _callback_url: url, _callback_token: TOKEN }),
      });
      expect(res.status).toBe(202);
      await app.get(RequestQueueTester).runQueued();
      const [sent] = app.get(RequestQueueTester).callbacks();
      expect(sent!.delivery).toEqual({ type: 'delivered', status: 204 });
      expect(received).toHaveLength(1);
      expect(received[0]!.body).toBe(sent!.rawBody);
      expect(
        verifyCallback(TOKEN, received[0]!.body, received[0]!.headers as Record<string, string>).payload,
      ).toMatchObject({
        correlationId: sent!.correlationId,
        status: 'completed',
      });
    } finally {
      await app.close();
    }
  });
});

describe('RequestQueueTestingModule.forRootAsync', () => {
  const SETTINGS = Symbol('settings');

  it('takes the options from a factory with injected providers', async () => {
    @Module({ providers: [{ provide: SETTINGS, useValue: { queue: 'from-config' } }], exports: [SETTINGS] })
    class ConfigModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        RequestQueueTestingModule.forRootAsync({
          imports: [ConfigModule],
          inject: [SETTINGS],
          useFactory: (settings: { queue: string }) => ({ queue: settings.queue, driver: 'database' }),
        }),
      ],
      controllers: [OrdersController],
      providers: [Handled],
    }).compile();
    const app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const res = await fetch(urlOf(app) + '/orders/10', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ qty: 10, _callback_url: CALLBACK_URL, _callback_token: TOKEN }),
      });
      expect(res.status).toBe(202);
      const tester = app.get(RequestQueueTester);
      expect(tester.queued()).toMatchObject([{ queue: 'from-config', path: '/orders/10' }]);
      expect((await tester.runQueued()).map((j) => j.result)).toEqual(['complete', 'complete']);
    } finally {
      await app.close();
    }
  });
});
