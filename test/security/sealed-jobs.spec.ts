import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createStore,
  RequestQueueRuntime,
  resolveOptions,
  verifyCallback,
  type FailedJob,
  type RequestQueueModuleOptions,
} from '../../lib/index.js';
import type { Worker } from '../../lib/worker/worker.js';
import type { JobPayload } from '../../lib/core/job.js';
import { jobBinding } from '../../lib/core/job-binding.js';
import { openRequest } from '../../lib/core/sealed-request.js';
import { HttpRecorder } from '../support/http-recorder.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Encryption at rest, end to end on real stores: a payload that was tampered with or
 * cannot be opened fails its job at once, permanently, with an error that says why —
 * it is never replayed — and `previousSecrets` lets a rotated secret open older jobs.
 */

const TOKEN = 'sealed-jobs-token-0123456789';
const AUTH = `Bearer sealed-${randomUUID()}`;

const stores = await storeMatrix();

describe.each(stores)('sealed jobs on the $kind.name store', ({ kind, skip }) => {
  describe.skipIf(skip !== null)('tampering and key rotation', () => {
    let harness: StoreHarness;
    let target: HttpRecorder;
    let receiver: HttpRecorder;
    const runtimes: RequestQueueRuntime[] = [];
    const workers: Worker[] = [];

    beforeAll(async () => {
      harness = await kind.create();
      target = await new HttpRecorder((_req, res) =>
        res.setHeader('content-type', 'application/json').end('{"ok":true}'),
      ).start();
      receiver = await new HttpRecorder().start();
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      await Promise.all(runtimes.splice(0).map((r) => r.close()));
      target.requests.length = 0;
      receiver.requests.length = 0;
    });
    afterAll(async () => {
      await harness?.cleanup();
      await target?.close();
      await receiver?.close();
    });

    async function runtime(
      queue: string,
      secrets: Pick<RequestQueueModuleOptions, 'secret' | 'previousSecrets'>,
    ): Promise<RequestQueueRuntime> {
      const base = harness.options;
      const options = resolveOptions({
        ...base,
        ...(base.driver === 'database' ? { database: { ...base.database, sleep: 50 } } : {}),
        ...secrets,
        queue,
        baseUrl: target.origin,
        tries: 3,
        backoff: { type: 'fixed', delay: 20 },
        callback: { allowedHosts: [`127.0.0.1:${receiver.port}`], retryDelays: [50] },
        worker: { enabled: false, queues: [queue], concurrency: 2, gracePeriod: 2_000 },
      });
      const r = new RequestQueueRuntime(options, await createStore(options));
      runtimes.push(r);
      return r;
    }

    async function enqueue(r: RequestQueueRuntime, correlationId: string): Promise<void> {
      const decision = await r.gate.admit(
        {
          method: 'PUT',
          url: '/items/1?x=1',
          headers: { 'content-type': 'application/json', authorization: AUTH, 'x-correlation-id': correlationId },
          body: { name: 'Ada', _callback_url: `http://127.0.0.1:${receiver.port}/cb`, _callback_token: TOKEN },
        },
        undefined,
        {},
      );
      expect(decision.type).toBe('queued');
    }

    async function work(r: RequestQueueRuntime): Promise<void> {
      const w = r.createWorker();
      workers.push(w);
      await w.start();
    }

    const failedFor = (list: FailedJob[], queue: string) => list.filter((f) => f.queue === queue);

    it('fails a tampered or unreadable payload permanently with a clear error, and never replays it', async () => {
      const queue = `tamper-${randomUUID().slice(0, 8)}`;
      const r = await runtime(queue, { secret: 'tamper-secret' });
      const AUTH_FAILED = 'cannot open stored request: stored payload failed authentication (tampered or wrong key)';
      const cases: Record<
        string,
        { edit?: (sealed: string) => string; plain?: Record<string, unknown>; error: string }
      > = {
        [`flip-${randomUUID()}`]: {
          edit: (s) => {
            const at = s.length - 30;
            return s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
          },
          error: AUTH_FAILED,
        },
        // The plain fields are bound to the sealed part: re-aiming a job at another route or
        // another callback URL (by someone who can write to the store) fails it too.
        [`path-${randomUUID()}`]: { plain: { path: '/admin/users/1' }, error: AUTH_FAILED },
        [`method-${randomUUID()}`]: { plain: { method: 'DELETE' }, error: AUTH_FAILED },
        [`callback-${randomUUID()}`]: { plain: { callbackUrl: 'https://attacker.example/cb' }, error: AUTH_FAILED },
        [`key-${randomUUID()}`]: {
          edit: (s) => s.replace(/^v1\.[^.]+\./, 'v1.deadbeef.'),
          error: 'sealed with an unknown key (deadbeef)',
        },
        [`format-${randomUUID()}`]: { edit: () => 'not sealed at all', error: 'not in a known format' },
        [`trunc-${randomUUID()}`]: { edit: (s) => s.slice(0, 20), error: 'truncated' },
      };
      for (const id of Object.keys(cases)) await enqueue(r, id);
      const rewritten = await harness.rewriteJobs((p) => {
        const c = cases[String(p.correlationId)];
        if (!c) return p;
        return { ...p, ...c.plain, sealed: c.edit ? c.edit(String(p.sealed)) : p.sealed };
      });
      expect(rewritten).toBe(Object.keys(cases).length);

      await work(r);
      const n = Object.keys(cases).length;
      const failed = await waitFor(
        `${n} failed jobs`,
        async () => {
          const v = await (() => r.store.listFailed())();
          return ((l) => failedFor(l, queue).length === n)(v) ? v : undefined;
        },
        { timeoutMs: 15_000 },
      );
      for (const [correlationId, { error, plain }] of Object.entries(cases)) {
        const job = failedFor(failed, queue).find((f) => f.correlationId === correlationId);
        const { callbackUrl: _notShown, ...shown } = plain ?? {};
        expect(job, correlationId).toMatchObject({
          kind: 'replay',
          method: 'PUT',
          path: '/items/1?x=1',
          ...shown,
          error: expect.stringContaining(error),
        });
        expect(job!.attempts).toBeLessThanOrEqual(1); // failed at once, not retried
      }
      // Nothing was replayed and no callback went out.
      await new Promise((res) => setTimeout(res, 200));
      expect(target.requests).toEqual([]);
      expect(receiver.requests).toEqual([]);
      // What operators see names the request and the reason, never the secrets.
      const shown = JSON.stringify(failed);
      expect(shown).not.toContain(AUTH);
      expect(shown).not.toContain(TOKEN);
    });

    it('replays a job sealed before the binary frame (JSON, base64 body), queued before an upgrade', async () => {
      const queue = `legacy-${randomUUID().slice(0, 8)}`;
      const correlationId = `legacy-${randomUUID()}`;
      const r = await runtime(queue, { secret: 'legacy-secret' });
      await enqueue(r, correlationId);
      // The job as the previous version sealed it: the request as JSON, its body base64 inside.
      let resealed = 0;
      await harness.rewriteJobs((p) => {
        if (p.correlationId !== correlationId) return p;
        resealed++;
        const job = p as unknown as JobPayload;
        const secret = openRequest(r.box, job.sealed, jobBinding(job));
        const legacy = { ...secret, body: secret.body === null ? null : secret.body.toString('base64') };
        return { ...p, sealed: r.box.seal(legacy, jobBinding(job)) };
      });
      expect(resealed).toBe(1);

      await work(r);
      await receiver.waitFor(1, 15_000);
      expect(target.requests).toHaveLength(1);
      expect(target.requests[0]).toMatchObject({ method: 'PUT', url: '/items/1?x=1', body: '{"name":"Ada"}' });
      expect(target.requests[0]!.headers.authorization).toBe(AUTH);
      const callback = receiver.requests[0]!;
      expect(verifyCallback(TOKEN, callback.body, callback.headers).payload).toMatchObject({
        correlationId,
        status: 'completed',
      });
    });

    it('opens jobs sealed with a previous secret after a rotation (previousSecrets), and refuses them without it', async () => {
      const kept = `rot-kept-${randomUUID().slice(0, 8)}`;
      const dropped = `rot-dropped-${randomUUID().slice(0, 8)}`;
      const keptId = `rot-${randomUUID()}`;
      const droppedId = `rot-${randomUUID()}`;
      // Queued under the old secret…
      await enqueue(await runtime(kept, { secret: 'old-secret' }), keptId);
      await enqueue(await runtime(dropped, { secret: 'old-secret' }), droppedId);

      // …replayed by a worker whose secret was rotated, the old one kept in previousSecrets.
      await work(await runtime(kept, { secret: 'new-secret', previousSecrets: ['old-secret'] }));
      await receiver.waitFor(1, 15_000);
      expect(target.requests).toHaveLength(1);
      expect(target.requests[0]).toMatchObject({ method: 'PUT', url: '/items/1?x=1', body: '{"name":"Ada"}' });
      expect(target.requests[0]!.headers.authorization).toBe(AUTH);
      const callback = receiver.requests[0]!;
      expect(verifyCallback(TOKEN, callback.body, callback.headers).payload).toMatchObject({
        correlationId: keptId,
        status: 'completed',
      });

      // A worker that no longer knows the old secret fails the job with a clear reason.
      const strict = await runtime(dropped, { secret: 'new-secret' });
      await work(strict);
      const failed = await waitFor(
        'the failed job',
        async () => {
          const v = await (() => strict.store.listFailed())();
          return ((l) => failedFor(l, dropped).length === 1)(v) ? v : undefined;
        },
        { timeoutMs: 15_000 },
      );
      expect(failedFor(failed, dropped)[0]).toMatchObject({
        correlationId: droppedId,
        error: expect.stringContaining('sealed with an unknown key'),
      });
      expect(target.requests).toHaveLength(1);
    });
  });
});
