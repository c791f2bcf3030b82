import ioredis, { type Cluster, type ClusterNode, type ClusterOptions, type Redis, type RedisOptions } from 'ioredis';
import { keySlot } from './key-slot.js';
import type { RedisStoreOptions } from './redis-store.options.js';

/** A connection to one Redis, or to a Redis Cluster (which routes each command by its keys). */
export type RedisConnection = Redis | Cluster;

/** How the store calls ioredis's classes. */
interface RedisModule {
  new (url: string, options: RedisOptions): Redis;
  new (options: RedisOptions): Redis;
  Cluster: new (nodes: ClusterNode[], options: ClusterOptions) => Cluster;
}

/**
 * ioredis's module. Not `import { Redis, Cluster }`: before ioredis 5.3.0 `Redis` is exported
 * as a type only. In every 5.x the module itself is the client class, carries `Cluster`, and
 * carries itself as `default`. The default import is that module in the ESM sources
 * (nodenext) and its `default` in the CommonJS build (esModuleInterop), so take `default`
 * when there is one: the class either way.
 */
const IORedis = ((ioredis as unknown as { default?: RedisModule }).default ?? ioredis) as unknown as RedisModule;

/**
 * ioredis Cluster options under the store's own: redirections and failover retries that fit
 * in a command timeout (a failover takes about `cluster-node-timeout` plus an election), and a
 * slot map refreshed often enough to notice a promoted replica without waiting for a MOVED.
 */
const CLUSTER_DEFAULTS: ClusterOptions = {
  maxRedirections: 16,
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 200,
  retryDelayOnTryAgain: 100,
  slotsRefreshTimeout: 1000,
  slotsRefreshInterval: 2000,
  clusterRetryStrategy: (times) => Math.min(100 * times, 1000),
};

/**
 * Opens a connection as the store's options say: `extra` applies to the connection to one
 * Redis, or to each node's connection of a cluster. On a cluster, the user's `cluster.options`
 * go over the store's `defaults` for this connection, and `forced` over both.
 */
export function connect(
  options: RedisStoreOptions,
  extra: RedisOptions,
  defaults: ClusterOptions = {},
  forced: ClusterOptions = {},
): RedisConnection {
  if (options.cluster) {
    const given = options.cluster.options ?? {};
    return new IORedis.Cluster(options.cluster.nodes, {
      ...CLUSTER_DEFAULTS,
      ...defaults,
      ...given,
      ...forced,
      redisOptions: { ...options.options, ...given.redisOptions, ...extra },
    });
  }
  const merged = { ...options.options, ...extra };
  return options.url ? new IORedis(options.url, merged) : new IORedis(merged);
}

/**
 * Bull's `createClient` for a cluster: Bull's blocking and subscriber connections must not
 * retry per request nor check readiness (Bull refuses them otherwise). The caller owns
 * what this opens (Bull does not close clients it did not create).
 */
export function bullClientFactory(
  options: RedisStoreOptions,
  opened: RedisConnection[],
): (type: 'client' | 'subscriber' | 'bclient') => Redis {
  return (type) => {
    const patient = type === 'client' ? {} : { maxRetriesPerRequest: null, enableReadyCheck: false };
    const client = connect(options, patient, {}, { enableOfflineQueue: true });
    opened.push(client);
    // Bull's typings ask for a Redis; a Cluster serves the same commands, routed by key.
    return client as unknown as Redis;
  };
}

/** True when the connection is to a cluster. */
export function isCluster(client: RedisConnection): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** Every key matching `pattern`: on a cluster, from every master (each holds its own slots). */
export async function scanKeys(client: RedisConnection, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of isCluster(client) ? client.nodes('master') : [client]) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return keys;
}

/**
 * The connection that commands on `key` go through: the client itself, or on a cluster the
 * connection to the master that serves the key's slot (as the cluster's slot map says now).
 * `WAIT` has no key, so it must be sent there to count that connection's writes.
 */
export function connectionFor(client: RedisConnection, key: string): Redis | null {
  if (!isCluster(client)) return client;
  const master = client.slots[keySlot(key)]?.[0];
  if (master === undefined) return null;
  return client.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === master) ?? null;
}
