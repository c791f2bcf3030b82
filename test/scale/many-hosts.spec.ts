import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForTests, type TestBuild } from '../cli/support/build.js';
import { waitFor } from '../support/wait-for.js';
import { mariadbStore, postgresStore, redisStore } from '../support/stores.js';
import type { RecordedRequest } from '../support/http-recorder.js';
import { HostWorker } from './support/host-worker.js';
import { createHosts, namespacesUnavailable, type NetHosts } from './support/netns.js';
import { ScaleWorld } from './support/scale-world.js';

/**
 * README "Scaling": worker processes on several hosts share one queue, and each job runs under one
 * lease at a time. Each "host" is a network namespace of this machine joined by a veth pair;
 * its workers (the built `request-queue work`) reach the store, the app and the callback
 * receiver over their gateway address, through forwarders in this process. Skipped (and
 * counted as skipped) where the machine forbids namespaces.
 */
const HOSTS = 3;
const JOBS = 45;
/** Long enough that two workers running one job at once would overlap on the target app. */
const JOB_MS = 150;

const skip = await namespacesUnavailable();

/** Pairs of executions of one correlation id that overlapped in time. */
function overlaps(hits: readonly RecordedRequest[]): string[] {
  const byId = new Map<string, RecordedRequest[]>();
  for (const h of hits) byId.set(h.correlationId, [...(byId.get(h.correlationId) ?? []), h]);
  const found: string[] = [];
  for (const [id, runs] of byId) {
    const sorted = [...runs].sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < sorted.length; i++) {
      const before = sorted[i - 1]!;
      if (before.finishedAt === undefined || sorted[i]!.startedAt < before.finishedAt) found.push(id);
    }
  }
  return found;
}

describe.skipIf(skip)('workers on many hosts (network namespaces)', () => {
  let net: NetHosts | undefined;
  let build: TestBuild;

  beforeAll(async () => {
    build = await buildForTests();
    net = await createHosts(HOSTS);
  }, 120_000);

  afterAll(async () => {
    await net?.remove();
  });

  describe.each([redisStore, mariadbStore, postgresStore])('sharing one queue on $name', (kind) => {
    let world: ScaleWorld | undefined;
    const workers: HostWorker[] = [];

    afterAll(async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await world?.close();
    }, 60_000);

    it('runs every job once under one lease at a time, one worker per host, all called back', async () => {
      world = await new ScaleWorld(kind, net!.hosts).open();
      for (const [i, host] of net!.hosts.entries()) {
        workers.push(new HostWorker(host, build.cli, ['--concurrency', '3', '--sleep', '0.2'], world.workerEnv(i)));
      }
      await Promise.all(workers.map((w) => w.ready()));

      const ids = await world.queue(JOBS, (i) => `/slow/${JOB_MS}/job/${i}`);
      await waitFor('every callback', () => world!.calledBack(ids).length === ids.length, { timeoutMs: 90_000 });

      const outputs = workers.map((w) => w.output).join('\n----\n');
      // Every job ran, at least once, and none ran twice at once (the leases outlast every job).
      const replayed = new Set(world.api.requests.map((h) => h.correlationId));
      expect(
        ids.filter((id) => !replayed.has(id)),
        outputs,
      ).toEqual([]);
      expect(overlaps(world.api.requests), outputs).toEqual([]);
      // Leases held throughout (30 s against jobs of 150 ms): nothing ran twice at all.
      expect(world.api.requests).toHaveLength(ids.length);
      // Each host took part, and the replays each reported add up to the jobs.
      const perHost = workers.map((w) => w.replays().length);
      expect(
        perHost.every((n) => n > 0),
        `replays per host: ${perHost.join(', ')}\n${outputs}`,
      ).toBe(true);
      expect(perHost.reduce((a, b) => a + b, 0)).toBe(ids.length);
      // Each host reached the store over its own address (127.0.0.1 inside a namespace is its own).
      expect(world.storeConnections().every((n) => n > 0)).toBe(true);
      for (const id of ids) expect(world.receiver.for(id)[0]!.body).toContain('"status":"completed"');

      const exits = await Promise.all(workers.map((w) => w.stop()));
      expect(exits.map((e) => e.code)).toEqual(workers.map(() => 0));
    }, 150_000);
  });
});

if (skip) {
  describe('workers on many hosts (network namespaces)', () => {
    it.skip(`skipped: ${skip}`, () => {});
  });
}
