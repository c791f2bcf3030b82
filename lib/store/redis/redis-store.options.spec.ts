import { describe, expect, it } from 'vitest';
import { requestQueueOptionsFromEnv } from '../../config/options-from-env.js';
import { RequestQueueConfigError, resolveOptions } from '../../request-queue.options.js';
import { hashTag } from './key-slot.js';
import { resolveRedisOptions } from './redis-store.options.js';

const nodes = [{ host: '127.0.0.1', port: 7000 }];

describe('hashTag', () => {
  it('is what lies between the first { and the first } after it, when not empty', () => {
    expect(hashTag('{rq}')).toBe('rq');
    expect(hashTag('app:{rq}:x')).toBe('rq');
    expect(hashTag('{a}{b}')).toBe('a');
    expect(hashTag('a}{b}')).toBe('b');
    expect(hashTag('rq')).toBeNull();
    expect(hashTag('{}rq')).toBeNull();
    expect(hashTag('rq{')).toBeNull();
    expect(hashTag('{rq')).toBeNull();
  });
});

describe('resolveRedisOptions', () => {
  it('accepts a cluster under a hash-tagged prefix', () => {
    const options = { cluster: { nodes }, prefix: '{rq}' };
    expect(resolveRedisOptions(options, true)).toBe(options);
    expect(resolveOptions({ driver: 'redis', redis: options }).redis).toEqual(options);
  });

  it('refuses a cluster whose prefix has no hash tag, naming the fix', () => {
    for (const prefix of [undefined, 'rq', '{}', 'rq{']) {
      const given = prefix ?? 'bull';
      expect(() => resolveOptions({ driver: 'redis', redis: { cluster: { nodes }, prefix } })).toThrow(
        new RequestQueueConfigError(
          `redis.prefix '${given}' has no hash tag, so on Redis Cluster the keys of one request would span ` +
            `slots (CROSSSLOT): use a prefix with a non-empty {…} tag, e.g. '{${given}}' ` +
            `(REQUEST_QUEUE_REDIS_PREFIX={${given}})`,
        ),
      );
    }
  });

  it('refuses url with cluster, a cluster without nodes, and a bad waitForReplicas', () => {
    expect(() => resolveRedisOptions({ url: 'redis://x', cluster: { nodes }, prefix: '{rq}' }, true)).toThrow(
      /redis\.url and redis\.cluster are exclusive/,
    );
    expect(() => resolveRedisOptions({ cluster: { nodes: [] }, prefix: '{rq}' }, true)).toThrow(
      /redis\.cluster\.nodes must list at least one node/,
    );
    for (const waitForReplicas of [
      { replicas: 0, timeoutMs: 50 },
      { replicas: 1, timeoutMs: 0 },
      { replicas: 1.5, timeoutMs: 50 },
    ]) {
      expect(() => resolveRedisOptions({ waitForReplicas }, true)).toThrow(
        /redis\.waitForReplicas needs whole numbers/,
      );
    }
  });

  it('leaves the options alone when another driver is configured', () => {
    const redis = { cluster: { nodes }, prefix: 'rq' };
    expect(resolveOptions({ driver: 'database', database: { url: 'sqlite::memory:' }, redis }).redis).toBe(redis);
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('gives the cluster nodes, with the prefix of REQUEST_QUEUE_REDIS_PREFIX', () => {
    expect(
      requestQueueOptionsFromEnv({
        REDIS_CLUSTER_NODES: '127.0.0.1:7000, 10.0.0.2:7001,[::1]:7002',
        REQUEST_QUEUE_REDIS_PREFIX: '{rq}',
      }),
    ).toEqual({
      redis: {
        prefix: '{rq}',
        cluster: {
          nodes: [
            { host: '127.0.0.1', port: 7000 },
            { host: '10.0.0.2', port: 7001 },
            { host: '::1', port: 7002 },
          ],
        },
      },
    });
  });

  it('refuses an entry that is not host:port', () => {
    for (const bad of ['127.0.0.1', '127.0.0.1:99999', ':7000']) {
      expect(() => requestQueueOptionsFromEnv({ REDIS_CLUSTER_NODES: bad })).toThrow(
        `REDIS_CLUSTER_NODES must list host:port entries (got '${bad}')`,
      );
    }
  });
});
