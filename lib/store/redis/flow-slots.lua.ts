import type { Redis } from 'ioredis';
import type { FlowSlots, SlotTake } from '../../flow/flow-store.js';

/**
 * Flow control slots (`lib/flow`) in Redis: one sorted set per bucket, each member a
 * holder, its score the unix ms when its slot frees. One key per call, so a script runs
 * atomically on one node (Redis Cluster included).
 *
 * KEYS: 1 the bucket's set. ARGV: 1 limit, 2 holder, 3 frees at (ms), 4 now (ms).
 * Returns 0 when a slot was taken, else the unix ms when the first one frees.
 */
export const FLOW_TAKE_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], last[2])
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tonumber(first[2])
`;

/** Renews a holder's slot (only if it still holds one). KEYS: 1 set. ARGV: 1 holder, 2 frees at. */
export const FLOW_RENEW_LUA = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
end
return 0
`;

export interface FlowCommands {
  rqFlowTake(numKeys: 1, key: string, limit: number, holder: string, freeAt: number, now: number): Promise<number>;
  rqFlowRenew(numKeys: 1, key: string, holder: string, freeAt: number, holdMs: number): Promise<number>;
}

/** Defines the commands on a connection (with the store's other scripts). */
export function defineFlowCommands(client: Redis): void {
  client.defineCommand('rqFlowTake', { lua: FLOW_TAKE_LUA });
  client.defineCommand('rqFlowRenew', { lua: FLOW_RENEW_LUA });
}

/** `FlowSlots` over the store's API connection, keys under `<prefix>:request-queue:flow:`. */
export class RedisFlowSlots implements FlowSlots {
  constructor(
    private readonly client: () => Redis & FlowCommands,
    private readonly prefix: string,
  ) {}

  private key(bucket: string): string {
    return `${this.prefix}:request-queue:flow:${bucket}`;
  }

  async take(bucket: string, limit: number, holder: string, holdMs: number, now: number): Promise<SlotTake> {
    const freeAt = await this.client().rqFlowTake(1, this.key(bucket), limit, holder, now + holdMs, now);
    return freeAt === 0 ? { taken: true } : { taken: false, freeAt: Math.max(now, Number(freeAt)) };
  }

  async renew(bucket: string, holder: string, holdMs: number, now: number): Promise<void> {
    await this.client().rqFlowRenew(1, this.key(bucket), holder, now + holdMs, holdMs);
  }

  async give(bucket: string, holder: string): Promise<void> {
    await this.client().zrem(this.key(bucket), holder);
  }
}
