import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForTests, type TestBuild } from '../cli/support/build.js';
import { waitFor } from '../support/wait-for.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { storeMatrix, type StoreHarness } from '../support/stores.js';
import { CHAOS_TOKEN, chaosOptions, jobsLeft, startChaosApi, type ChaosApi } from './support/chaos-api.js';
import { chaosSeed, seededRandom, sendAll, sendQueued } from './support/load.js';
import { allHaveOutcomes, tallyOutcomes } from './support/outcomes.js';
import { WorkerPool } from './support/worker-pool.js';

/** Requests queued in a run (the poison request comes on top). */
const REQUESTS = 500;
/** SIGKILLs the test sends to random workers at random moments. */
const KILLS = 5;
const WORKERS = 3;
/**
 * Bounds, not targets: every outcome must be in this long after the run starts, and the test
 * ends (summary printed, assertions made) well within its own timeout.
 */
const OUTCOMES_WITHIN_MS = 220_000;
const TEST_TIMEOUT_MS = 300_000;

const cases = (await storeMatrix()).filter(({ kind }) => kind.name === 'redis' || kind.name === 'mariadb');

/**
 * Issue 13's chaos run, on real processes: an API (Nest, Express) answers 202 to 500 queued
 * requests plus one poison request, three `request-queue work` processes replay them (each
 * against an app in its own process, where the poison route SIGKILLs the process), the test
 * SIGKILLs five random workers at random moments and restarts every worker that dies, as a
 * supervisor would. Every 202 must get exactly one outcome at the callback receiver (at least
 * once: duplicates are counted, and share their `webhook-id`); the poison request fails alone,
 * with a failure callback, and nothing else is in failed jobs.
 */
describe.each(cases)('chaos: workers killed under load on $kind.name', ({ kind, skip }) => {
  let build: TestBuild;
  let harness: StoreHarness;
  let receiver: CallbackReceiver;
  let api: ChaosApi;
  let pool: WorkerPool;

  beforeAll(async () => {
    if (skip) return;
    build = await buildForTests();
    harness = await kind.create();
    receiver = await new CallbackReceiver(CHAOS_TOKEN).start();
    const options = chaosOptions(harness.options, receiver.port);
    api = await startChaosApi(options);
    pool = await new WorkerPool({
      cli: build.cli,
      options,
      size: WORKERS,
      workArgs: ['--concurrency', '4', '--sleep', '0.2'],
      replayMs: 30,
    }).start();
  }, 120_000);

  afterAll(async () => {
    await pool?.stop();
    await api?.close();
    await receiver?.close();
    await harness?.cleanup();
  }, 60_000);

  it.skipIf(skip)(
    `every 202 gets exactly one outcome through ${KILLS} kills and a poison request`,
    async () => {
      const seed = chaosSeed();
      const random = seededRandom(seed);
      const tag = `chaos-${seed}`;
      const poisonAt = 50 + Math.floor(random() * 200);
      const poisonId = `${tag}-poison`;
      // Kill moments: when this many requests have their outcome (plus a random pause).
      const killAt = Array.from({ length: KILLS }, () => 30 + Math.floor(random() * 400)).sort((a, b) => a - b);
      const progress = () => new Set(receiver.calls.map((c) => c.body.correlationId)).size;
      const started = Date.now();

      let running = true;
      const kills: { progress: number; slot: number }[] = [];
      const killer = (async () => {
        for (const threshold of killAt) {
          await waitFor(`${threshold} outcomes`, () => !running || progress() >= threshold, {
            timeoutMs: TEST_TIMEOUT_MS,
          });
          if (!running) return;
          await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 300)));
          kills.push({ progress: progress(), slot: await pool.killRandom(random) });
        }
      })();

      let sent = 0;
      const report = process.env.CHAOS_VERBOSE
        ? setInterval(() => {
            void jobsLeft(api.runtime).then((left) =>
              console.log(
                `[chaos] ${kind.name} +${((Date.now() - started) / 1000).toFixed(0)} s: ${sent} sent, ${progress()} with an outcome, ` +
                  `${kills.length} kills, ${pool.selfExits.length} poison crashes, ${left} jobs left`,
              ),
            );
          }, 5000)
        : undefined;
      const callback = { url: receiver.url, token: CHAOS_TOKEN };
      const answers = await sendAll(REQUESTS + 1, 8, (i) => {
        sent++;
        return i === poisonAt
          ? sendQueued(api.url, '/echo/poison', poisonId, callback, 15_000)
          : sendQueued(api.url, `/echo/${i}`, `${tag}-${i}`, callback, 15_000);
      });
      const accepted = answers.filter((a) => a.status === 202).map((a) => a.correlationId);
      const sentIn = Date.now() - started;

      // Bounded waits: every outcome, then nothing left to run (late duplicates included).
      const settled = await waitFor('every outcome', () => allHaveOutcomes(accepted, receiver.calls), {
        timeoutMs: Math.max(1000, started + OUTCOMES_WITHIN_MS - Date.now()),
      }).then(
        () => true,
        () => false,
      );
      const settledIn = Date.now() - started;
      const left = settled
        ? await waitFor('an empty queue', async () => (await jobsLeft(api.runtime)) === 0, { timeoutMs: 30_000 }).then(
            () => 0,
            () => jobsLeft(api.runtime),
          )
        : await jobsLeft(api.runtime);
      running = false;
      clearInterval(report);
      const killerError: unknown = await killer.then(
        () => null,
        (err: unknown) => err,
      );
      const failed = await api.runtime.store.listFailed();
      const tally = tallyOutcomes(accepted, receiver.calls);
      const poison = tally.first.get(poisonId);
      const innocent = [...tally.first.entries()].filter(([id]) => id !== poisonId).map(([, c]) => c);

      console.log(
        `[chaos] kill run on ${kind.name}: ${answers.length} requests (1 poison), ${accepted.length} answered 202, ` +
          `${kills.length} kills, ${pool.selfExits.length} poison crashes, ${pool.restarts} restarts, ` +
          `${tally.withOutcome} outcomes, ${tally.lost.length} lost, ${tally.duplicates} duplicates, ` +
          `${answers.filter((a) => a.status === 503).length} 503s, ${failed.length} failed jobs, ${left} jobs left, ` +
          `sent in ${(sentIn / 1000).toFixed(1)} s, outcomes in ${(settledIn / 1000).toFixed(1)} s (CHAOS_SEED=${seed})`,
      );

      expect(answers.filter((a) => a.status !== 202)).toEqual([]);
      expect(killerError).toBeNull();
      expect(kills).toHaveLength(KILLS);
      expect(tally.lost, 'requests answered 202 without any outcome').toEqual([]);
      expect(left, 'jobs still queued or running at the end').toBe(0);
      expect(tally.conflicting, 'requests with more than one webhook-id or status').toEqual([]);
      expect(tally.unexpected).toEqual([]);
      expect(tally.unverified).toBe(0);

      // The poison request took its workers down (and only that), then failed with a callback.
      expect(pool.selfExits.length).toBeGreaterThanOrEqual(1);
      expect(pool.selfExits.filter((e) => e.signal !== 'SIGKILL')).toEqual([]);
      expect(poison?.body.status).toBe('failed');
      expect(poison?.body.error).toMatch(/worker died \d+ times? while running it/);

      // Everything else completed, and only the poison request is in failed jobs.
      expect(innocent.filter((c) => c.body.status !== 'completed' || c.body.response?.status !== 200)).toEqual([]);
      expect(failed.filter((f) => f.correlationId !== poisonId)).toEqual([]);
      expect(failed.map((f) => ({ correlationId: f.correlationId, kind: f.kind }))).toEqual([
        { correlationId: poisonId, kind: 'replay' },
      ]);

      // The workers left standing stop gracefully.
      const stops = await pool.stop();
      expect(stops.filter((s) => s.code !== 0)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
