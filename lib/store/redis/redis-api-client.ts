import type { Redis } from 'ioredis';
import { defineFlowCommands, type FlowCommands } from './flow-slots.lua.js';
import { defineFlowTicketCommands, type FlowTicketCommands } from './flow-tickets.lua.js';
import { ENQUEUE_LUA } from './enqueue.lua.js';
import { connect } from './redis-connection.js';
import type { StatusCommand } from './redis-status.js';
import type { SettleCommand } from './redis-settle.js';
import type { RedisStoreOptions } from './redis-store.options.js';
import { SETTLE_LUA } from './settle.lua.js';
import { STATUS_WRITE_LUA, TIMELINE_APPEND_LUA } from './status.lua.js';

/** The API connection's pause between retries of a command during a cluster failover. */
const CLUSTER_RETRY_MS = 200;

export interface EnqueueCommand {
  rqEnqueue(numKeys: number, ...args: (string | number)[]): Promise<(string | null)[]>;
}

/**
 * The API connection with the store's scripts defined on it. Typed as one Redis for the
 * helpers (status records, listing) that take one: a Cluster serves the same commands.
 */
export type ApiClient = Redis & EnqueueCommand & StatusCommand & SettleCommand & FlowCommands & FlowTicketCommands;

/**
 * Opens the API's connection: it fails fast instead of queueing while Redis is away (no
 * offline queue, `commandTimeout`), and a command whose connection dropped before its reply
 * is never sent again after the reconnection (it was answered 503; sent again, it would be
 * stored after the 503). `onError` hears the connection's errors.
 */
export function openApiClient(
  options: RedisStoreOptions,
  commandTimeout: number,
  onError: (err: Error) => void,
): ApiClient {
  const failFast = { maxRetriesPerRequest: 1, commandTimeout, autoResendUnfulfilledCommands: false };
  const client = (
    options.cluster
      ? connect(
          options,
          failFast,
          {
            // Redirections and failover retries that end within the command timeout: a
            // command the client gives up on is answered 503 and not sent again later.
            maxRedirections: Math.max(1, Math.floor(commandTimeout / CLUSTER_RETRY_MS) - 1),
            retryDelayOnFailover: CLUSTER_RETRY_MS,
            retryDelayOnClusterDown: CLUSTER_RETRY_MS,
          },
          { enableOfflineQueue: false, enableAutoPipelining: true },
        )
      : connect(options, {
          ...failFast,
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          retryStrategy: (times) => Math.min(times * 100, 1000),
        })
  ) as Redis;
  client.on('error', onError);
  client.defineCommand('rqEnqueue', { lua: ENQUEUE_LUA });
  client.defineCommand('rqStatus', { lua: STATUS_WRITE_LUA });
  client.defineCommand('rqTimeline', { lua: TIMELINE_APPEND_LUA });
  client.defineCommand('rqSettle', { lua: SETTLE_LUA });
  defineFlowCommands(client); // flow control slots (lib/flow)
  defineFlowTicketCommands(client); // funnel lines (lib/flow)
  return client as ApiClient;
}
