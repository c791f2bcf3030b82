import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestQueueRuntime } from '../../lib/index.js';
import { buildForTests } from '../cli/support/build.js';
import { Spawned } from '../cli/support/processes.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * A "poison" request: its replay kills the worker process (SIGKILL, as an out-of-memory
 * handler or a native crash would). One among 100, a worker with concurrency 10 restarted
 * by a supervisor each time it dies. The target: the poison request fails alone,
 * with a failure callback to its client; no innocent request fails with it. The counts are
 * printed (`[poison] …`) for the README.
 */
const TOTAL = 100;
const CONCURRENCY = 10;
/** tries 1 + 2 lost leases tolerated: the poison kills its worker 3 times, the 4th worker fails it. */
const TRIES = 1;
const LEASE_MS = 2000;
/** Enough for the worker deaths the poison causes (3) and then some; the loop is bounded by it. */
const MAX_RESTARTS = 12;
const TOKEN = 'poison-callback-token';
const SECRET = 'test-secret';
const QUEUE = 'api:request';

/**
 * The worker process: its own HTTP server is the app its replays go to (its base URL), where
 * `/echo/poison` kills the process and every other path answers 200 after a moment (so jobs
 * overlap), and `request-queue work` runs in the same process.
 */
const WORKER_SCRIPT = `
const { createServer } = require('node:http');
const { runRequestQueueCli } = require('./cli/cli.js');
const server = createServer((req, res) => {
  if (req.url.startsWith('/echo/poison')) {
    process.kill(process.pid, 'SIGKILL');
    return;
  }
  req.resume();
  req.on('end', () => setTimeout(() => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, url: req.url }));
  }, 50));
});
server.listen(0, '127.0.0.1', async () => {
  process.env.REQUEST_QUEUE_BASE_URL = 'http://127.0.0.1:' + server.address().port;
  const code = await runRequestQueueCli(['work', '--queue', ${JSON.stringify(QUEUE)}, '--concurrency', '${CONCURRENCY}']);
  server.close();
  process.exit(code);
});
`;

const matrix = await storeMatrix();

describe.each(matrix)('a poison request among $kind.name jobs', ({ kind, skip }) => {
  let harness: StoreHarness;
  let api: TestApp;
  let receiver: CallbackReceiver;
  let script: string;

  beforeAll(async () => {
    if (skip) return;
    const build = await buildForTests();
    script = join(dirname(build.cli), `../poison-worker-${randomUUID().slice(0, 8)}.js`);
    writeFileSync(script, WORKER_SCRIPT);
    harness = await kind.create();
    receiver = await new CallbackReceiver(TOKEN).start();
    // The API: accepts the requests (its own worker off), and creates the tables.
    api = await createTestApp('express', {
      ...harness.options,
      secret: SECRET,
      tries: TRIES,
      timeout: 1000,
      callback: { allowedHosts: [`127.0.0.1:${receiver.port}`], timeout: 1000, retryDelays: [200, 200] },
      worker: { enabled: false },
    });
  }, 120_000);

  afterAll(async () => {
    if (skip) return;
    await api?.close();
    await receiver?.close();
    await harness?.cleanup();
    if (script) rmSync(script, { force: true });
  });

  it.skipIf(skip)(
    'fails alone, with a failure callback to its client; no innocent request fails with it',
    async () => {
      const poison = `poison-${randomUUID()}`;
      const ids: string[] = [];
      for (let i = 0; i < TOTAL; i++) ids.push(i === 7 ? poison : `innocent-${i}-${randomUUID()}`);
      for (const id of ids) {
        const res = await fetch(`${api.url}/echo/${id === poison ? 'poison' : id}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-correlation-id': id },
          body: JSON.stringify({ _callback_url: receiver.url, _callback_token: TOKEN }),
        });
        expect(res.status).toBe(202);
      }

      // The supervisor: starts the worker again each time it dies, a bounded number of times.
      const env = {
        ...harness.env,
        REQUEST_QUEUE_SECRET: SECRET,
        REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`,
        REQUEST_QUEUE_TIMEOUT: '1000',
        REQUEST_QUEUE_CALLBACK_TIMEOUT: '1000',
        REQUEST_QUEUE_CALLBACK_RETRY_DELAYS: '200,200',
        REQUEST_QUEUE_LEASE: String(LEASE_MS),
      };
      const workers: Spawned[] = [];
      let stopping = false;
      let kills = 0;
      const supervisor = (async () => {
        while (!stopping && workers.length <= MAX_RESTARTS) {
          const worker = new Spawned(script, [], env);
          workers.push(worker);
          if ((await worker.exited).signal === 'SIGKILL') kills++;
        }
      })();

      try {
        const deadline = Date.now() + 150_000;
        const unique = () => new Set(receiver.calls.map((c) => c.body.correlationId)).size;
        while (unique() < TOTAL && Date.now() < deadline && workers.length <= MAX_RESTARTS) {
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      } finally {
        stopping = true;
        workers.at(-1)?.kill('SIGTERM');
        await workers.at(-1)?.exit(15_000);
        await supervisor;
      }

      const final = new Map<string, (typeof receiver.calls)[number]>();
      for (const call of receiver.calls) final.set(call.body.correlationId, call);
      const failedInnocent = [...final.values()].filter(
        (c) => c.body.correlationId !== poison && c.body.status !== 'completed',
      );
      const failedJobs = await api.app.get(RequestQueueRuntime).store.listFailed();
      const innocentFailedJobs = failedJobs.filter((f) => f.correlationId !== poison);
      const duplicates = receiver.calls.length - final.size;
      const innocentFailed = new Set([
        ...failedInnocent.map((c) => c.body.correlationId),
        ...innocentFailedJobs.map((f) => f.correlationId),
      ]);
      console.log(
        `[poison] ${kind.name}: ${innocentFailed.size} innocent request(s) failed of ${TOTAL - 1}, ` +
          `worker processes killed ${kills}, duplicate callbacks ${duplicates}`,
      );

      expect(final.size, workers.map((w) => w.output).join('\n---\n')).toBe(TOTAL);
      expect(failedInnocent).toEqual([]);
      expect(innocentFailedJobs).toEqual([]);
      expect(receiver.calls.every((c) => c.verified)).toBe(true);
      expect(kills).toBe(3);
      // The poison request: its failure callback, which says its worker died (3 times).
      const outcome = final.get(poison)!.body;
      expect(outcome).toMatchObject({ status: 'failed', response: null });
      expect(outcome.error).toMatch(/^worker died 3 times while running it/);
      expect(outcome.attempts).toBe(3);
      const poisonFailed = failedJobs.filter((f) => f.correlationId === poison);
      expect(poisonFailed).toHaveLength(1);
      expect(poisonFailed[0]).toMatchObject({ kind: 'replay', error: outcome.error });
      const status = await api.app.get(RequestQueueRuntime).store.readStatus(poison);
      expect(status).toMatchObject({ state: 'failed' });
      expect(status!.result).toEqual(expect.any(String)); // the sealed outcome
      // Accounted for: a worker warned when it took the poison job back from a dead worker.
      const output = workers.map((w) => w.output).join('\n');
      expect(output).toMatch(/Warning: PUT \/echo\/poison \(poison-[^)]+\): a worker died 1 time while running it/);
      expect(output).toMatch(/a worker died 3 times while running it; giving up/);
    },
    240_000,
  );
});
