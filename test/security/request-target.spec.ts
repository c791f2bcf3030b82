import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobPayload } from '../../lib/core/job.js';
import { ReplayClient } from '../../lib/core/replay-client.js';
import { captureRequest } from '../../lib/core/request-capture.js';
import { verifyCallback } from '../../lib/index.js';
import { HttpRecorder } from '../support/http-recorder.js';
import { loopbackOnly, type LoopbackGuard } from './support/loopback-only.js';
import { createSecurityApp, type AdapterName } from './support/security-app.js';
import { redisStore } from '../support/stores.js';

/**
 * The replay must only ever go to `baseUrl`. A client can send an absolute-form request
 * target (`PUT http://169.254.169.254/items/1 HTTP/1.1`): Node passes it on as the URL and
 * both adapters route it by its path, so a stored path naming a host would make the worker
 * send the request — and the client's headers — wherever the client likes, and report the
 * answer to the client's callback. Stored paths are origin-form; the replay appends them to
 * the origin instead of resolving them.
 */

const TOKEN = 'target-token-0123456789abcdef';

function job(path: string): JobPayload {
  return {
    v: 1,
    kind: 'replay',
    correlationId: randomUUID(),
    method: 'PUT',
    path,
    callbackUrl: 'https://hooks.example.com/cb',
    queuedAt: Date.now(),
    tries: 1,
    backoff: { type: 'fixed', delay: 10 },
    timeout: 2_000,
    sealed: '',
  };
}

/** Sends raw bytes and resolves to the raw answer. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('close', () => resolve(out));
    socket.on('error', () => resolve(out));
  });
}

describe('request targets never steer the replay off baseUrl', () => {
  let guard: LoopbackGuard;
  let sink: HttpRecorder;

  beforeAll(async () => {
    guard = loopbackOnly();
    sink = await new HttpRecorder().start();
  });
  afterAll(async () => {
    await sink.close();
    guard.restore();
    expect(guard.blocked).toEqual([]);
  });

  it.each([
    ['http://169.254.169.254/items/1?x=1&_callback_url=u&_callback_token=t', '/items/1?x=1'],
    ['https://evil.example:8443/items/1', '/items/1'],
    ['/items/1?x=1', '/items/1?x=1'],
    ['//evil.example/items/1', '//evil.example/items/1'],
  ])('stores %s as the origin-form path %s', (target, path) => {
    expect(captureRequest({ method: 'PUT', url: target, headers: {}, body: undefined }).path).toBe(path);
  });

  it.each(['//evil.example/x', '/\\evil.example/x', 'http://evil.example/x', '/%2F%2Fevil.example/x'])(
    'replays a stored path %s on baseUrl only',
    async (path) => {
      const client = new ReplayClient(sink.origin, Buffer.alloc(32));
      try {
        sink.requests.length = 0;
        const result = await client.replay(job(path), {
          headers: { authorization: 'Bearer secret' },
          body: null,
          callbackToken: TOKEN,
        });
        expect(result).toMatchObject({ type: 'response', status: 200 });
        expect(sink.requests).toHaveLength(1);
        expect(sink.requests[0]!.headers.host).toBe(`127.0.0.1:${sink.port}`);
      } finally {
        await client.close();
      }
    },
  );

  describe.each(['express', 'fastify'] as AdapterName[])('end to end over %s', (adapter) => {
    it('replays an absolute-form request against the app itself, never the named host', async () => {
      const store = await redisStore.create();
      const receiver = await new HttpRecorder().start();
      const app = await createSecurityApp(adapter, {
        ...store.options,
        queue: `target-${randomUUID().slice(0, 8)}`,
        callback: { allowedHosts: [`127.0.0.1:${receiver.port}`] },
        worker: { enabled: true, concurrency: 1, gracePeriod: 2_000 },
      });
      try {
        const body = JSON.stringify({
          name: 'Ada',
          _callback_url: `http://127.0.0.1:${receiver.port}/cb`,
          _callback_token: TOKEN,
        });
        const port = Number(new URL(app.url).port);
        const answer = await raw(
          port,
          `PUT http://169.254.169.254/items/5 HTTP/1.1\r\nHost: 169.254.169.254\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
        expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 202 Accepted');
        await receiver.waitFor(1, 15_000);
        const callback = receiver.requests[0]!;
        const { payload } = verifyCallback(TOKEN, callback.body, callback.headers);
        expect(payload).toMatchObject({
          status: 'completed',
          response: { status: 200, body: { handled: 'put', body: { name: 'Ada' } } },
        });
        expect(guard.blocked).toEqual([]);
      } finally {
        await app.close();
        await receiver.close();
        await store.cleanup();
      }
    });
  });
});
