import type { Redis } from 'ioredis';
import type { FlowTickets, TicketHolder } from '../../flow/flow-store.js';

/**
 * Funnel lines (`FlowTickets`, lib/flow) in Redis: one sorted set per funnel bucket, each
 * member the Bull job's key (`<prefix>:<queue>:<id>`), its score the job's ticket. The
 * enqueue script (`enqueue.lua.ts`) adds a job at the back of its line (the last score plus
 * one) in the same atomic step that stores it. A ticket is live while its job's hash exists
 * without `finishedOn`: Bull deletes a completed job (`removeOnComplete`) and marks a failed
 * one finished, and a deleted job has no hash; a retry (delayed) or a release keeps it live.
 * The line's key and the job keys share the store's prefix, so on Redis Cluster a
 * hash-tagged prefix keeps them in one slot, as the enqueue script needs.
 */

/** The key of a funnel bucket's line. */
export function flowTicketsKey(prefix: string, bucket: string): string {
  return `${prefix}:request-queue:flow-tickets:${bucket}`;
}

/**
 * Is it the job's turn? Gives it a ticket at the back of the line when it has none, then
 * counts the live tickets before it, dropping the dead ones it meets, and stops at `limit`.
 * KEYS: 1 the line. ARGV: 1 the job's key, 2 limit. Returns 1 (its turn) or 0.
 */
export const FLOW_TURN_LUA = `
local limit = tonumber(ARGV[2])
local mine = redis.call('ZSCORE', KEYS[1], ARGV[1])
if mine then
  mine = tonumber(mine)
else
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  mine = 1
  if last[2] then mine = tonumber(last[2]) + 1 end
  redis.call('ZADD', KEYS[1], mine, ARGV[1])
end
local ahead = 0
while true do
  local batch = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. mine, 'LIMIT', ahead, 64)
  if #batch == 0 then return 1 end
  for _, job in ipairs(batch) do
    if redis.call('EXISTS', job) == 1 and redis.call('HEXISTS', job, 'finishedOn') == 0 then
      ahead = ahead + 1
      if ahead >= limit then return 0 end
    else
      redis.call('ZREM', KEYS[1], job)
    end
  end
end
`;

export interface FlowTicketCommands {
  rqFlowTurn(numKeys: 1, key: string, jobKey: string, limit: number): Promise<number>;
}

/** Defines the command on a connection (with the store's other scripts). */
export function defineFlowTicketCommands(client: Redis): void {
  client.defineCommand('rqFlowTurn', { lua: FLOW_TURN_LUA });
}

/** `FlowTickets` over the store's API connection. */
export class RedisFlowTickets implements FlowTickets {
  constructor(
    private readonly client: () => Redis & FlowTicketCommands,
    private readonly prefix: string,
  ) {}

  private jobKey(job: TicketHolder): string {
    return `${this.prefix}:${job.queue}:${job.id}`;
  }

  async turn(bucket: string, limit: number, job: TicketHolder): Promise<boolean> {
    return (await this.client().rqFlowTurn(1, flowTicketsKey(this.prefix, bucket), this.jobKey(job), limit)) === 1;
  }

  async remove(bucket: string, job: TicketHolder): Promise<void> {
    await this.client().zrem(flowTicketsKey(this.prefix, bucket), this.jobKey(job));
  }
}
