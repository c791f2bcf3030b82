import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestQueueRuntime, verifyCallback } from '../../lib/index.js';
import type { Worker } from '../../lib/worker/worker.js';
import { HttpRecorder } from '../support/http-recorder.js';
import { createSecurityApp, type SecurityApp } from './support/security-app.js';
import { Client } from './support/send.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { waitFor } from '../support/wait-for.js';

/**
 * docs/security.md: stored requests hold no secret in clear text. Queue a request carrying an
 * Authorization header, an API key header, a password in the body and a callback token;
 * then read every raw key/value (Redis) or row (SQL) the store holds — while the request
 * waits, and again while its outcome waits for delivery — and look for the secrets in
 * clear and in the encodings a careless store would use (base64, base64url, hex, URL).
 */

const secret = (label: string) => `${label}${randomBytes(12).toString('hex')}`;

/** Every base64/base64url run in `text`, decoded (ciphertext decodes to noise, a leak to the secret). */
function decodedRuns(text: string): string[] {
  const runs = text.match(/[A-Za-z0-9+/_-]{16,}={0,2}/g) ?? [];
  return runs.flatMap((run) => [
    Buffer.from(run, 'base64').toString('latin1'),
    Buffer.from(run, 'base64url').toString('latin1'),
  ]);
}

function leaks(dump: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  const decoded = decodedRuns(dump);
  for (const [name, value] of Object.entries(secrets)) {
    const forms = [
      value,
      Buffer.from(value).toString('base64'),
      Buffer.from(value).toString('base64url'),
      Buffer.from(value).toString('hex'),
      encodeURIComponent(value),
    ];
    if (forms.some((form) => dump.includes(form))) found.push(`${name} (encoded)`);
    if (decoded.some((d) => d.includes(value))) found.push(`${name} (inside a base64 run)`);
  }
  return found;
}

describe('the leak scan itself', () => {
  it('finds a secret in clear, base64, base64url, hex, URL-encoded, or inside a larger base64 blob', () => {
    const s = { k: 'Bearer sk_live_0123456789abcdef' };
    expect(leaks(`x ${s.k} y`, s)).not.toEqual([]);
    expect(leaks(Buffer.from(s.k).toString('base64'), s)).not.toEqual([]);
    expect(leaks(Buffer.from(s.k).toString('hex'), s)).not.toEqual([]);
    expect(leaks(encodeURIComponent(s.k), s)).not.toEqual([]);
    const blob = Buffer.from(JSON.stringify({ headers: { authorization: s.k } })).toString('base64');
    expect(leaks(`{"body":"${blob}"}`, s)).not.toEqual([]);
    expect(leaks(`v1.abcd1234.${randomBytes(64).toString('base64url')}`, s)).toEqual([]);
  });
});

const stores = await storeMatrix();

describe.each(stores)('secrets at rest on the $kind.name store', ({ kind, skip }) => {
  describe.skipIf(skip !== null)('a queued request and its pending callback', () => {
    let store: StoreHarness;
    let app: SecurityApp;
    let client: Client;
    let receiver: HttpRecorder;
    let worker: Worker | undefined;

    const secrets = {
      authorization: secret('Bearer-sk_live_'),
      apiKey: secret('apikey_'),
      password: secret('pw_'),
      cookie: secret('session_'),
      token: secret('tok_'),
    };

    beforeAll(async () => {
      // The receiver answers 500, so the outcome stays stored, waiting for its next delivery attempt.
      receiver = await new HttpRecorder((_req, res) => {
        res.statusCode = 500;
        res.end();
      }).start();
      store = await kind.create();
      app = await createSecurityApp('express', {
        ...store.options,
        queue: `atrest-${randomUUID().slice(0, 8)}`,
        callback: { allowedHosts: [`127.0.0.1:${receiver.port}`], retryDelays: [600_000] },
        worker: { enabled: false, concurrency: 1, gracePeriod: 2_000 },
      });
      client = new Client(app.url);
    });
    afterAll(async () => {
      await worker?.stop();
      await client?.close();
      await app?.close();
      await store?.cleanup();
      await receiver?.close();
    });

    it('keeps headers, body and token out of clear text while queued and while the callback waits', async () => {
      const correlationId = randomUUID();
      const res = await client.send({
        method: 'PUT',
        path: '/items/7?page=2',
        headers: {
          'content-type': 'application/json',
          'x-correlation-id': correlationId,
          authorization: secrets.authorization,
          'x-api-key': secrets.apiKey,
          cookie: `sid=${secrets.cookie}`,
        },
        body: JSON.stringify({
          name: 'Ada',
          password: secrets.password,
          _callback_url: `http://127.0.0.1:${receiver.port}/cb`,
          _callback_token: secrets.token,
        }),
      });
      expect(res.status).toBe(202);

      // 1. The replay job, as the API stored it.
      const queued = await store.dump();
      expect(queued).toContain(correlationId); // the scan does see the job...
      expect(queued).toMatch(/v1\.[0-9a-f]{8}\./); // ...and its sealed part
      expect(leaks(queued, secrets)).toEqual([]);

      // 2. Replay it; the callback fails (500) and its job waits ten minutes for the next try.
      const runtime = app.app.get(RequestQueueRuntime);
      worker = runtime.createWorker();
      await worker.start();
      await receiver.waitFor(1, 15_000);
      const delivered = receiver.requests[0]!;
      // The outcome went out signed with the token (and the sender honoured allowedHosts).
      expect(verifyCallback(secrets.token, delivered.body, delivered.headers).payload).toMatchObject({
        correlationId,
        status: 'completed',
      });
      await waitFor(
        'the callback job',
        async () =>
          (await store.dump()).includes('"kind":"callback"') ||
          (await store.dump()).includes('\\"kind\\":\\"callback\\"'),
        { timeoutMs: 10_000 },
      );
      await worker.stop();
      worker = undefined;

      const pending = await store.dump();
      expect(pending).toContain(correlationId);
      // The outcome holds the handler's answer, which echoed the password: it must be sealed too.
      expect(delivered.body).toContain(secrets.password);
      expect(leaks(pending, secrets)).toEqual([]);
    });
  });
});
