import { randomUUID } from 'node:crypto';
import { Controller, Module, Put } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QueueableRequest, RequestQueueModule } from '../../lib/index.js';
import { buildForTests } from '../cli/support/build.js';
import { Spawned } from '../cli/support/processes.js';
import { CallbackReceiver, type ReceivedCallback } from '../support/callback-receiver.js';
import { HttpRecorder, type RecordedRequest } from '../support/http-recorder.js';
import { freePort } from '../support/free-port.js';
import { listenOn } from '../support/nest-app.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Flow control (README) on every store, with the replays run by TWO `request-queue work`
 * processes (concurrency 10 each) against a target server of the test's own, which records
 * when each replay starts and ends. The API app only accepts (its worker is off); the
 * limits travel in the stored jobs.
 */
const SECRET = 'flow-secret';
const TOKEN = 'flow-callback-token';
const QUEUE = 'api:request';
const LEASE_MS = 2000;

/** Throttle: 3 replays per 1.5 s, one count for the route. */
const ALLOW = 3;
const EVERY = 1500;
const THROTTLED = 12;
/**
 * Replay starts are recorded at the target, a little after the worker took its throttle
 * slot (the replay's own latency, noisy on a loaded machine): a window this much shorter
 * than `EVERY` is what the target can check strictly.
 */
const LATENCY_SLACK = 500;

@Controller('flow')
class FlowController {
  /** tries 1: a release that counted as an attempt would fail the job. */
  @Put('throttle/:id')
  @QueueableRequest({ tries: 1, throttle: { allow: ALLOW, every: EVERY } })
  throttle() {
    return { ok: true };
  }

  @Put('funnel/:user/:n')
  @QueueableRequest({
    tries: 1,
    funnel: { limit: 1, key: (req) => String(req.params?.user), retryAfter: 100 },
  })
  funnel() {
    return { ok: true };
  }

  /**
   * Order of arrival: one at a time per user, in the order the 202s were given. The target
   * answers 500 once to `LINE_FLAKY` (retried: it keeps its place) and always to `LINE_BROKEN`
   * (fails for good after its 2 tries: the next one must still run).
   */
  @Put('line/:user/:n')
  @QueueableRequest({
    tries: 2,
    backoff: { type: 'fixed', delay: 200 },
    funnel: { limit: 1, key: (req) => String(req.params?.user), retryAfter: 200 },
  })
  line() {
    return { ok: true };
  }

  /** The target hangs on the first replay here; its worker is killed holding the funnel slot. */
  @Put('hang/:user/:n')
  @QueueableRequest({ funnel: { limit: 1, key: (req) => String(req.params?.user), retryAfter: 100 } })
  hang() {
    return { ok: true };
  }

  /** The target always answers 500: 20 tries, but the deadline comes first. */
  @Put('until/:id')
  @QueueableRequest({ tries: 20, backoff: { type: 'fixed', delay: 300 }, retryUntil: 1500 })
  until() {
    return { ok: true };
  }
}

/** On a queue no worker here consumes: its jobs stay stored, for the at-rest checks. */
@Controller('flow-stored')
class StoredFlowController {
  /** The queue's throttle (module option `flow`), counted per a key taken from a header. */
  @Put('by-queue')
  @QueueableRequest({ queue: 'flow-held' })
  byQueue() {
    return { ok: true };
  }

  @Put('keyed/:user')
  @QueueableRequest({
    queue: 'flow-held',
    funnel: { limit: 2, key: (req) => `${req.params?.user}:${String(req.headers['x-api-key'])}` },
  })
  keyed() {
    return { ok: true };
  }
}

@Module({ controllers: [FlowController, StoredFlowController] })
class FlowTestModule {}

/** In the line test: one user's requests, and the ones the target fails once, or always. */
const LINE_LONG = 20;
const LINE_SHORT = 10;
const LINE_FLAKY = '/flow/line/ann/5';
const LINE_BROKEN = '/flow/line/ann/12';

/** Where the workers replay to: records each replay, answers by path. */
function flowTarget(): HttpRecorder {
  let hangFirst = true;
  /** Paths answered once already (`LINE_FLAKY` fails only the first time). */
  const failedOnce = new Set<string>();
  return new HttpRecorder((req, res) => {
    const answer = (status: number) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url }));
    };
    if (req.url.startsWith('/flow/hang/') && hangFirst) {
      hangFirst = false;
      return; // never answers: its worker is killed meanwhile
    }
    if (req.url.startsWith('/flow/until/')) return void setTimeout(() => answer(500), 10);
    if (req.url.startsWith('/flow/line/')) {
      const fail = req.url === LINE_BROKEN || (req.url === LINE_FLAKY && !failedOnce.has(LINE_FLAKY));
      failedOnce.add(req.url);
      return void setTimeout(() => answer(fail ? 500 : 200), 100);
    }
    setTimeout(() => answer(200), req.url.startsWith('/flow/funnel/') ? 150 : 20);
  });
}

const matrix = await storeMatrix();

describe.each(matrix)('flow control on $kind.name, two worker processes', ({ kind, skip }) => {
  let harness: StoreHarness;
  let receiver: CallbackReceiver;
  let target: HttpRecorder;
  let api: { url: string; close(): Promise<void> };
  /** The same API on Fastify: flow keys read its request object the same way. */
  let fastify: { url: string; close(): Promise<void> };
  let cli: string;
  let workers: Spawned[] = [];

  const env = () => ({
    ...harness.env,
    REQUEST_QUEUE_BASE_URL: `http://127.0.0.1:${target.port}`,
    REQUEST_QUEUE_SECRET: SECRET,
    REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`,
    REQUEST_QUEUE_TIMEOUT: '1000',
    REQUEST_QUEUE_CALLBACK_TIMEOUT: '1000',
    REQUEST_QUEUE_CALLBACK_RETRY_DELAYS: '200,200',
    REQUEST_QUEUE_LEASE: String(LEASE_MS),
  });
  const startWorker = () => {
    const worker = new Spawned(cli, ['work', '--queue', QUEUE, '--concurrency', '10', '--sleep', '0.1'], env());
    workers.push(worker);
    return worker;
  };
  const output = () => workers.map((w) => w.output).join('\n---\n');
  /** The path each correlation id was sent to. */
  const sent = new Map<string, string>();
  const put = async (path: string, headers: Record<string, string> = {}, base = api.url) => {
    const id = `flow-${randomUUID()}`;
    sent.set(id, path);
    const res = await fetch(`${base}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-correlation-id': id, ...headers },
      body: JSON.stringify({ _callback_url: receiver.url, _callback_token: TOKEN }),
    });
    expect(res.status).toBe(202);
  };
  const pathOf = (c: ReceivedCallback): string => sent.get(c.body.correlationId) ?? '';
  const callbacksFor = (prefix: string): ReceivedCallback[] =>
    receiver.calls.filter((c) => pathOf(c).startsWith(prefix));

  beforeAll(async () => {
    if (skip) return;
    cli = (await buildForTests()).cli;
    harness = await kind.create();
    receiver = await new CallbackReceiver(TOKEN).start();
    target = await flowTarget().start();
    const start = async (adapter: 'express' | 'fastify') => {
      const port = await freePort();
      const moduleRef = await Test.createTestingModule({
        imports: [
          RequestQueueModule.forRoot({
            ...harness.options,
            baseUrl: `http://127.0.0.1:${port}`,
            secret: SECRET,
            callback: { allowedHosts: [`127.0.0.1:${receiver.port}`] },
            worker: { enabled: false },
            flow: { 'flow-held': { throttle: { allow: 5, every: 1000 } } },
          }),
          FlowTestModule,
        ],
      }).compile();
      const app = await listenOn(moduleRef, adapter, port);
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
    };
    api = await start('express');
    fastify = await start('fastify');
  }, 180_000);

  afterEach(async () => {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    workers = [];
  }, 30_000);

  afterAll(async () => {
    if (skip) return;
    await api?.close();
    await fastify?.close();
    await receiver?.close();
    await target?.close();
    await harness?.cleanup();
  });

  it.skipIf(skip)(
    `throttle: at most ${ALLOW} replays start per ${EVERY} ms across both workers; every job runs once, no attempt used up`,
    async () => {
      for (let i = 0; i < THROTTLED; i++) await put(`/flow/throttle/${i}`);
      startWorker();
      startWorker();
      const done = () => receiver.calls.filter((c) => pathOf(c).startsWith('/flow/throttle/')).length;
      await waitFor('the throttled callbacks', () => done() >= THROTTLED, {
        timeoutMs: 60_000,
        intervalMs: 100,
        detail: output,
      });

      const calls = receiver.calls.filter((c) => pathOf(c).startsWith('/flow/throttle/'));
      expect(calls.map((c) => c.body.status)).toEqual(Array(THROTTLED).fill('completed'));
      expect(calls.map((c) => c.body.attempts)).toEqual(Array(THROTTLED).fill(1)); // tries 1: a release is no attempt
      const starts = target.requests
        .filter((r) => r.url.startsWith('/flow/throttle/'))
        .map((r) => r.startedAt)
        .sort((a, b) => a - b);
      expect(starts).toHaveLength(THROTTLED); // each ran once
      // No window of the period (less the replay latency) holds more than ALLOW starts...
      for (let i = 0; i + ALLOW < starts.length; i++) {
        expect(starts[i + ALLOW]! - starts[i]!, `starts ${i}..${i + ALLOW}`).toBeGreaterThanOrEqual(
          EVERY - LATENCY_SLACK,
        );
      }
      // ...so the 12 took at least three periods: none ran early.
      expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual((THROTTLED / ALLOW - 1) * EVERY - LATENCY_SLACK);
    },
    90_000,
  );

  it.skipIf(skip)(
    "funnel: one user's requests strictly one at a time under concurrency 10, other users' in parallel",
    async () => {
      const users = ['ann', 'bob', 'cid'];
      const perUser = 4;
      for (let n = 0; n < perUser; n++) for (const user of users) await put(`/flow/funnel/${user}/${n}`);
      startWorker();
      startWorker();
      const total = users.length * perUser;
      await waitFor('the funnel callbacks', () => callbacksFor('/flow/funnel/').length >= total, {
        timeoutMs: 60_000,
        intervalMs: 100,
        detail: output,
      });

      const calls = callbacksFor('/flow/funnel/');
      expect(calls.map((c) => c.body.status)).toEqual(Array(total).fill('completed'));
      expect(calls.map((c) => c.body.attempts)).toEqual(Array(total).fill(1));
      const replays = target.requests.filter((r) => r.url.startsWith('/flow/funnel/'));
      expect(replays).toHaveLength(total);
      for (const user of users) {
        const own = replays
          .filter((r) => r.url.startsWith(`/flow/funnel/${user}/`))
          .sort((a, b) => a.startedAt - b.startedAt);
        expect(own).toHaveLength(perUser);
        for (let i = 1; i < own.length; i++) {
          // the next one starts only after the one before it ended
          expect(own[i]!.startedAt, `${user}: replay ${i} overlaps ${i - 1}`).toBeGreaterThanOrEqual(
            own[i - 1]!.finishedAt!,
          );
        }
      }
      const overlapping = replays.some((a) =>
        replays.some(
          (b) =>
            a.url.split('/')[3] !== b.url.split('/')[3] && a.startedAt < b.finishedAt! && b.startedAt < a.finishedAt!,
        ),
      );
      expect(overlapping).toBe(true); // different users ran at the same time
    },
    90_000,
  );

  it.skipIf(skip)(
    `funnel: one user's ${LINE_LONG} requests replay strictly in order of arrival, a retried one keeps its place, one failed for good blocks nothing; other users' in parallel`,
    async () => {
      const lengths: Record<string, number> = { ann: LINE_LONG, bob: LINE_SHORT, cid: LINE_SHORT };
      for (let n = 0; n < LINE_LONG; n++) {
        for (const [user, length] of Object.entries(lengths)) if (n < length) await put(`/flow/line/${user}/${n}`);
      }
      startWorker();
      startWorker();
      const total = LINE_LONG + 2 * LINE_SHORT;
      await waitFor('the line callbacks', () => callbacksFor('/flow/line/').length >= total, {
        timeoutMs: 80_000,
        intervalMs: 100,
        detail: output,
      });

      const outcome = (path: string) => callbacksFor(path).map((c) => [c.body.status, c.body.attempts]);
      expect(outcome(LINE_FLAKY)).toEqual([['completed', 2]]);
      expect(outcome(LINE_BROKEN)).toEqual([['failed', 2]]);
      const others = callbacksFor('/flow/line/').filter((c) => ![LINE_FLAKY, LINE_BROKEN].includes(pathOf(c)));
      expect(others.map((c) => [c.body.status, c.body.attempts])).toEqual(Array(total - 2).fill(['completed', 1]));

      const replays = target.requests.filter((r) => r.url.startsWith('/flow/line/'));
      for (const [user, length] of Object.entries(lengths)) {
        const own = replays
          .filter((r) => r.url.startsWith(`/flow/line/${user}/`))
          .sort((a, b) => a.startedAt - b.startedAt);
        // In order of arrival, each attempt once, the retried one again before the next...
        const expected = Array.from({ length }, (_, n) => `/flow/line/${user}/${n}`).flatMap((path) =>
          path === LINE_FLAKY || path === LINE_BROKEN ? [path, path] : [path],
        );
        expect(own.map((r) => r.url)).toEqual(expected);
        // ...and never two at once: each starts after the one before it ended.
        for (let i = 1; i < own.length; i++) {
          expect(own[i]!.startedAt, `${user}: replay ${i} overlaps ${i - 1}`).toBeGreaterThanOrEqual(
            own[i - 1]!.finishedAt!,
          );
        }
      }
      const user = (r: RecordedRequest) => r.url.split('/')[3];
      const parallel = replays.some((a) =>
        replays.some((b) => user(a) !== user(b) && a.startedAt < b.finishedAt! && b.startedAt < a.finishedAt!),
      );
      expect(parallel).toBe(true); // different users ran at the same time
      // Every job is over: no ticket is left in any line.
      const deadline = Date.now() + 5_000;
      let dump = await harness.dump();
      while (/flow-tickets:|request_queue_flow_tickets /.test(dump) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        dump = await harness.dump();
      }
      expect(dump).not.toMatch(/flow-tickets:|request_queue_flow_tickets /);
    },
    120_000,
  );

  it.skipIf(skip)(
    "a killed worker's funnel slot comes back after its lease",
    async () => {
      const user = `u-${randomUUID().slice(0, 8)}`;
      const first = startWorker();
      await put(`/flow/hang/${user}/1`);
      await waitFor('the hanging replay', () => target.requests.some((r) => r.url === `/flow/hang/${user}/1`), {
        timeoutMs: 30_000,
        intervalMs: 100,
        detail: output,
      });
      first.kill('SIGKILL'); // dies holding the slot (and the job)
      await first.exited;
      await put(`/flow/hang/${user}/2`); // same key: waits for the slot
      startWorker();
      await waitFor('both hang callbacks', () => callbacksFor(`/flow/hang/${user}/`).length >= 2, {
        timeoutMs: 60_000,
        intervalMs: 100,
        detail: output,
      });
      const calls = callbacksFor(`/flow/hang/${user}/`);
      expect(calls.map((c) => c.body.status)).toEqual(['completed', 'completed']);
      // the first ran again after its lease; the two never overlapped after the kill
      const after = target.requests.filter(
        (r) => r.url.startsWith(`/flow/hang/${user}/`) && r.finishedAt !== undefined,
      );
      expect(after).toHaveLength(2);
      const [a, b] = after.sort((x, y) => x.startedAt - y.startedAt);
      expect(b!.startedAt).toBeGreaterThanOrEqual(a!.finishedAt!);
    },
    90_000,
  );

  it.skipIf(skip)(
    "stores the flow limits with the job, the queue's and the route's, and the key only hashed",
    async () => {
      const apiKey = `api-key-${randomUUID()}`;
      await put('/flow-stored/by-queue');
      await put('/flow-stored/keyed/ann', { 'x-api-key': apiKey });
      await put('/flow-stored/keyed/ann', { 'x-api-key': apiKey }, fastify.url);
      await put('/flow-stored/keyed/bob', { 'x-api-key': apiKey }, fastify.url);
      const dump = await harness.dump();
      expect(dump).not.toContain(apiKey);
      const flows = [...dump.matchAll(/\\?"flow\\?":(\{.*?\}\})/g)].map((m) => m[1]!.replaceAll('\\"', '"'));
      expect(flows.some((f) => /"throttle":\{"bucket":"t:[\w-]+","allow":5,"every":1000\}/.test(f))).toBe(true);
      const funnels = flows.flatMap((f) => [
        ...(/"funnel":\{"bucket":"(f:[\w-]+)","limit":2,"retryAfter":1000\}/.exec(f)?.slice(1) ?? []),
      ]);
      // Express and Fastify computed ann's key alike (route params, header); bob's differs.
      expect(funnels).toHaveLength(3);
      expect(new Set(funnels).size).toBe(2);
    },
  );

  it.skipIf(skip)(
    'retryUntil ends a job that still has tries, with a failure callback that says why',
    async () => {
      const id = randomUUID();
      // The deadline runs from the 202: the worker is up first, so it measures the retries,
      // not how long a process takes to start on a loaded machine.
      await startWorker().waitForLine(/Processing jobs from/, 60_000);
      await put(`/flow/until/${id}`);
      const mine = () => receiver.calls.filter((c) => pathOf(c) === `/flow/until/${id}`);
      await waitFor('the retryUntil failure callback', () => mine().length >= 1, {
        timeoutMs: 30_000,
        intervalMs: 100,
        detail: output,
      });
      const outcome = mine()[0]!.body;
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/retryUntil deadline passed/);
      expect(outcome.attempts).toBeGreaterThanOrEqual(1);
      expect(outcome.attempts).toBeLessThan(20);
      expect(mine()[0]!.verified).toBe(true);
    },
    60_000,
  );
});
