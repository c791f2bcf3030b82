import { randomUUID } from 'node:crypto';
import type { RouteQueueOptions } from '../../../lib/index.js';
import type { RequestQueueRuntime } from '../../../lib/index.js';

export interface EnqueueInput {
  method?: 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  body?: Record<string, unknown>;
  callbackUrl: string;
  callbackToken: string;
  correlationId?: string;
  route?: RouteQueueOptions;
}

/**
 * Queues a request exactly as the interceptor would (through the runtime's gate), as an API
 * process does on a 202, and resolves to its correlation id.
 */
export async function enqueue(runtime: RequestQueueRuntime, input: EnqueueInput): Promise<string> {
  const correlationId = input.correlationId ?? randomUUID();
  const decision = await runtime.gate.admit(
    {
      method: input.method ?? 'PATCH',
      url: input.path,
      headers: {
        'content-type': 'application/json',
        'x-correlation-id': correlationId,
        authorization: 'Bearer do-not-leak-me',
      },
      body: { ...input.body, _callback_url: input.callbackUrl, _callback_token: input.callbackToken },
    },
    undefined,
    input.route ?? {},
  );
  if (decision.type !== 'queued') throw new Error(`not queued: ${JSON.stringify(decision)}`);
  return correlationId;
}
