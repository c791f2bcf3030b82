import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestQueueConfigError, RequestQueueModule, runRequestQueueCli } from '../../lib/index.js';
import { keySlot } from '../../lib/store/redis/key-slot.js';
import { RedisStore } from '../../lib/store/redis/redis.store.js';
import { StoreUnavailableError } from '../../lib/store/request-queue.store.js';
import { newJob } from '../store/store-conformance.js';
import { CallbackReceiver } from '../support/callback-receiver.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/test-app.js';
import { clusterPrefix } from './support/cluster-target.js';
import { clusterSkip, deleteClusterPrefix, RedisClusterFixture } from './support/redis-cluster.js';

const TOKEN = 'cluster-callback-token-0123456789';

let cluster: RedisClusterFixture;

const skip = clusterSkip();

beforeAll(async () => {
  if (skip) return;
  cluster = await new RedisClusterFixture().start();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe.skipIf(skip !== null).each(ADAPTERS)('request queue end to end on Redis Cluster (%s)', (adapter) => {
  const prefix = clusterPrefix('rqe2e');
  let t: TestApp;
  let receiver: CallbackReceiver;

  beforeAll(async () => {
    receiver = await new CallbackReceiver(TOKEN).start();
    t = await createTestApp(adapter, {
      driver: 'redis',
      redis: { cluster: { nodes: cluster.seeds }, prefix },
      callback: { allowedHosts: [`127.0.0.1:${receiver.port}`], retryDelays: [100, 100] },
    });
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    await deleteClusterPrefix(cluster, prefix);
  });

  it('answers 202, replays, POSTs a signed callback, and serves the status resource', async () => {
    const ids = Array.from({ length: 5 }, () => randomUUID());
    const locations: string[] = [];
    for (const id of ids) {
      const res = await fetch(`${t.url}/echo/7`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-correlation-id': id },
        body: JSON.stringify({ name: 'Ada', _callback_url: receiver.url, _callback_token: TOKEN }),
      });
      expect(res.status).toBe(202);
      locations.push(res.headers.get('location')!);
      const again = await fetch(`${t.url}/echo/7`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-correlation-id': id },
        body: JSON.stringify({ name: 'Ada', _callback_url: receiver.url, _callback_token: TOKEN }),
      });
      expect(again.status).toBe(409);
    }
    await receiver.waitFor(ids.length, 20_000);
    for (const id of ids) {
      const [cb, ...more] = receiver.for(id);
      expect(more).toEqual([]);
      expect(cb!.verified).toBe(true);
      expect(cb!.body).toMatchObject({ correlationId: id, status: 'completed', attempts: 1 });
      expect(cb!.body.response?.status).toBe(200);
    }
    const status = await fetch(t.url + locations[0]!);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ correlationId: ids[0], status: 'completed' });

    // Every key of the deployment is in the prefix's one slot, on one master.
    const slot = await cluster.keySlot(prefix);
    const holders: number[] = [];
    for (const node of await cluster.clusterNodes()) {
      if (node.role !== 'master') continue;
      const keys = (await cluster.cli(node.port, '--scan', '--pattern', `${prefix}:*`)).split('\n').filter(Boolean);
      if (keys.length > 0) holders.push(node.port);
      for (const key of keys) expect(await cluster.keySlot(key)).toBe(slot);
    }
    expect(holders).toEqual([(await cluster.masterOf(slot))!.port]);
  });
});

describe.skipIf(skip !== null)('a cluster configuration whose keys would span slots', () => {
  it('is refused by the module at startup, naming the hash-tagged prefix to use', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        RequestQueueModule.forRoot({
          driver: 'redis',
          redis: { cluster: { nodes: cluster.seeds }, prefix: 'rq' },
          secret: 'test-secret',
        }),
      ],
    }).compile();
    const err = await compiling.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RequestQueueConfigError);
    expect((err as Error).message).toMatch(/^redis\.prefix 'rq' has no hash tag.*use a prefix .* e\.g\. '\{rq\}'/);
  });

  it('is refused by the module with the default prefix, and with an empty tag', async () => {
    for (const prefix of [undefined, 'rq{}', '{}rq']) {
      const compiling = Test.createTestingModule({
        imports: [
          RequestQueueModule.forRoot({ driver: 'redis', redis: { cluster: { nodes: cluster.seeds }, prefix } }),
        ],
      }).compile();
      await expect(compiling).rejects.toThrow(/has no hash tag/);
    }
  });

  const cli = async (env: NodeJS.ProcessEnv) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runRequestQueueCli(['stats'], {
      env: { REQUEST_QUEUE_DRIVER: 'redis', REDIS_CLUSTER_NODES: cluster.envNodes, ...env },
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };

  it('is refused by the CLI (exit 4) with the same message; a hash-tagged prefix works', async () => {
    const refused = await cli({ REQUEST_QUEUE_REDIS_PREFIX: 'rq' });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/redis\.prefix 'rq' has no hash tag/);
    expect(refused.stderr).toContain('REQUEST_QUEUE_REDIS_PREFIX={rq}');

    const prefix = clusterPrefix('rqcli');
    const ok = await cli({ REQUEST_QUEUE_REDIS_PREFIX: prefix });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});

describe.skipIf(skip !== null)('key slots', () => {
  it('are computed as CLUSTER KEYSLOT computes them', async () => {
    for (const key of ['foo', '{rq}:api:request:wait', 'a}{b}:x', '{}rq', 'héllo wörld', '{user1000}.following', '']) {
      expect(keySlot(key)).toBe(await cluster.keySlot(key));
    }
  });
});

describe.skipIf(skip !== null)('redis.waitForReplicas on Redis Cluster', () => {
  const prefix = clusterPrefix('rqwait');
  const stores: RedisStore[] = [];
  const open = async (replicas: number) => {
    const store = new RedisStore({
      cluster: { nodes: cluster.seeds },
      prefix,
      waitForReplicas: { replicas, timeoutMs: 100 },
    });
    stores.push(store);
    await store.init();
    return store;
  };

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await deleteClusterPrefix(cluster, prefix);
  });

  it('answers once the replica of the slot master has the enqueue', async () => {
    const store = await open(1);
    expect(await store.enqueue(newJob('wait'), randomUUID(), 60_000)).toMatch(/^\d+$/);
    // A held id stores nothing, so there is nothing to wait for.
    const id = randomUUID();
    await store.enqueue(newJob('wait'), id, 60_000);
    expect(await store.enqueue(newJob('wait'), id, 60_000)).toBeNull();
  });

  it('fails (503) when fewer replicas acknowledge it in time; the job stays stored', async () => {
    const store = await open(2); // each master has one replica
    const id = randomUUID();
    const err = await store.enqueue(newJob('wait'), id, 60_000).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/1 of 2 replica\(s\) acknowledged the enqueue within 100 ms/);
    expect(await store.enqueue(newJob('wait'), id, 60_000)).toBeNull(); // its claim holds
  });

  it('answers 503 over HTTP when not acknowledged, 202 when it is', async () => {
    for (const [replicas, status] of [
      [2, 503],
      [1, 202],
    ] as const) {
      const t = await createTestApp('express', {
        driver: 'redis',
        redis: { cluster: { nodes: cluster.seeds }, prefix, waitForReplicas: { replicas, timeoutMs: 100 } },
        worker: { enabled: false },
      });
      try {
        const res = await fetch(`${t.url}/echo/1`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ _callback_url: 'https://receiver.example/cb', _callback_token: TOKEN }),
        });
        expect(res.status).toBe(status);
      } finally {
        await t.close();
      }
    }
  });
});
