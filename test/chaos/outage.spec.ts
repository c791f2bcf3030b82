import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForTests, type TestBuild } from '../cli/support/build.js';
import { waitFor } from '../support/wait-for.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { CHAOS_TOKEN, chaosOptions, jobsLeft, startChaosApi, type ChaosApi } from './support/chaos-api.js';
import { sendQueued, sendUntil, type Answer } from './support/load.js';
import { allHaveOutcomes, tallyOutcomes } from './support/outcomes.js';
import { PrivateMariadb, PrivateRedis, type PrivateServer } from '../support/private-servers.js';
import { WorkerPool } from './support/worker-pool.js';

/** Most time a request may take to be answered (202 or 503) before it counts as hung. */
const ANSWER_BOUND_MS = 20_000;
/** How long the store stays down. */
const OUTAGE_MS = 3000;
/** Load before the outage, and after the store is back. */
const LOAD_BEFORE_MS = 2500;
const LOAD_AFTER_MS = 5000;
/**
 * After the store answers again, the clients' reconnection may take a moment (ioredis
 * retries every second at most; the SQL pool opens connections on demand): a 503 answered
 * that long after the restart still belongs to the outage.
 */
const RECONNECT_MS = 2500;

const servers: PrivateServer[] = [new PrivateRedis(), new PrivateMariadb()];
// Under CI nothing is skipped: a missing server binary fails the test.
const cases = servers.map((server) => ({ server, skip: process.env.CI ? null : server.unavailable() }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The store stopped for 3 s and started again under load (issue 13): a private server on its
 * own data folder and port, an API (Nest, Express) taking requests from four clients, two
 * `request-queue work` processes replaying them. No request hangs, 503 is answered only while
 * the store is down, and every 202 is replayed and called back once it is back, without a
 * restart of the API or of the workers.
 */
describe.each(cases)('chaos: the $server.name store stopped and started under load', ({ server, skip }) => {
  let build: TestBuild;
  let receiver: CallbackReceiver;
  let api: ChaosApi;
  let pool: WorkerPool;

  beforeAll(async () => {
    if (skip) return;
    build = await buildForTests();
    await server.setUp();
    receiver = await new CallbackReceiver(CHAOS_TOKEN).start();
    const options = chaosOptions(server.options(), receiver.port);
    api = await startChaosApi(options);
    pool = await new WorkerPool({
      cli: build.cli,
      options,
      size: 2,
      workArgs: ['--concurrency', '4', '--sleep', '0.2'],
      supervise: false,
    }).start();
  }, 120_000);

  afterAll(async () => {
    await pool?.stop();
    await api?.close();
    await receiver?.close();
    await server.remove();
  }, 60_000);

  it.skipIf(skip)(
    'answers every request within a bound, 503 only while it is down, and calls back every 202 after',
    async () => {
      const tag = `outage-${Date.now()}`;
      const workers = pool.pids;
      const callback = { url: receiver.url, token: CHAOS_TOKEN };
      let loading = true;
      const load = sendUntil(
        () => !loading,
        4,
        100,
        2000,
        (i): Promise<Answer> => sendQueued(api.url, `/echo/${i}`, `${tag}-${i}`, callback, ANSWER_BOUND_MS),
      );

      await sleep(LOAD_BEFORE_MS);
      const downAt = Date.now();
      await server.stop();
      const stoppedAt = Date.now();
      await sleep(OUTAGE_MS);
      await server.start();
      const upAt = Date.now();
      await sleep(LOAD_AFTER_MS);
      loading = false;
      const answers = await load;

      const accepted = answers.filter((a) => a.status === 202).map((a) => a.correlationId);
      const unavailable = answers.filter((a) => a.status === 503);
      const settled = await waitFor('every outcome', () => allHaveOutcomes(accepted, receiver.calls), {
        timeoutMs: 120_000,
      }).then(
        () => true,
        () => false,
      );
      const left = settled
        ? await waitFor('an empty queue', async () => (await jobsLeft(api.runtime)) === 0, { timeoutMs: 60_000 }).then(
            () => 0,
            () => jobsLeft(api.runtime),
          )
        : await jobsLeft(api.runtime);
      const tally = tallyOutcomes(accepted, receiver.calls);
      // A request in flight when the server stopped may have been stored with its reply lost
      // (Redis ran the script, then closed the connection): it was answered 503 and is called
      // back all the same. Only such a request may have an outcome without a 202.
      const inFlightAtStop = new Set(unavailable.filter((a) => a.sentAt <= stoppedAt).map((a) => a.correlationId));
      const storedDespite503 = tally.unexpected.filter((id) => inFlightAtStop.has(id));
      const failed = await api.runtime.store.listFailed();
      const slowest = Math.max(...answers.map((a) => a.answeredAt - a.sentAt));
      const last503 = Math.max(downAt, ...unavailable.map((a) => a.answeredAt));

      console.log(
        `[chaos] outage run on ${server.name}: ${answers.length} requests, ${accepted.length} answered 202, ` +
          `${unavailable.length} 503s (the last ${last503 - upAt} ms after the store was back), ` +
          `store down ${upAt - downAt} ms, slowest answer ${slowest} ms, ${tally.withOutcome} outcomes, ` +
          `${tally.lost.length} lost, ${tally.duplicates} duplicates, ${failed.length} failed jobs, ${left} jobs left, ` +
          `${pool.exits.length} worker exits, ${storedDespite503.length} stored with the reply lost at the stop`,
      );

      // Every request was answered, 202 or 503, within the bound (a status 0 is one that was not).
      expect(answers.filter((a) => a.status !== 202 && a.status !== 503)).toEqual([]);
      // 503 only while the store was down (plus the clients' reconnection), and it was down.
      expect(unavailable.length).toBeGreaterThan(0);
      expect(unavailable.filter((a) => a.answeredAt < downAt || a.sentAt > upAt + RECONNECT_MS)).toEqual([]);
      // Requests were accepted before and after the outage, by the same API.
      expect(answers.some((a) => a.status === 202 && a.answeredAt < downAt)).toBe(true);
      expect(answers.some((a) => a.status === 202 && a.sentAt > upAt + RECONNECT_MS)).toBe(true);

      // Every 202 was replayed and called back once, and nothing failed.
      expect(tally.lost, 'requests answered 202 without any outcome').toEqual([]);
      expect(left, 'jobs still queued or running at the end').toBe(0);
      expect(tally.conflicting).toEqual([]);
      expect(tally.unexpected.filter((id) => !inFlightAtStop.has(id))).toEqual([]);
      expect([...tally.first.values()].filter((c) => c.body.status !== 'completed')).toEqual([]);
      expect(failed).toEqual([]);

      // The same workers did it all, and they still stop gracefully.
      expect(pool.exits).toEqual([]);
      expect(pool.pids).toEqual(workers);
      const stops = await pool.stop();
      expect(stops.filter((s) => s.code !== 0)).toEqual([]);
    },
    240_000,
  );
});
