import { connectionFor, type RedisConnection } from './redis-connection.js';

/** `redis.waitForReplicas`: how many replicas must have a write before its 202, and how long to wait. */
export interface ReplicaWait {
  replicas: number;
  timeoutMs: number;
}

/**
 * Waits (Redis `WAIT`) until `wait.replicas` replicas have every write made so far on the
 * connection that serves `key` (on a cluster: to its slot's master), for at most
 * `wait.timeoutMs`. Rejects when fewer acknowledged: the write is on the master, but a
 * failover now could lose it. `WAIT` has no key, so on a cluster it goes straight to that
 * master's connection, the one the write went through.
 */
export async function waitForReplicas(client: RedisConnection, key: string, wait: ReplicaWait): Promise<void> {
  const node = connectionFor(client, key);
  if (!node) throw new Error(`no master is known for the slot of ${key}`);
  const acknowledged = await node.wait(wait.replicas, wait.timeoutMs);
  if (acknowledged < wait.replicas) {
    throw new Error(
      `${acknowledged} of ${wait.replicas} replica(s) acknowledged the enqueue within ${wait.timeoutMs} ms (redis.waitForReplicas)`,
    );
  }
}
