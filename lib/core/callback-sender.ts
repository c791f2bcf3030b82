import { Agent, request, type Dispatcher } from 'undici';
import { signCallback } from './callback-signature.js';
import { describeError } from './http-body.js';
import type { Outcome } from './job.js';

export type DeliveryResult =
  | { type: 'delivered'; status: number }
  | { type: 'gone' }
  | { type: 'failed'; error: string };

/**
 * POSTs an outcome to a callback URL, signed per Standard Webhooks. Success is a 2xx only;
 * redirects are not followed; 410 Gone means the receiver wants no more.
 */
export class CallbackSender {
  private readonly agent: Dispatcher;

  constructor(dispatcher?: Dispatcher) {
    this.agent = dispatcher ?? new Agent({ keepAliveTimeout: 4_000, connections: 32 });
  }

  async send(url: string, token: string, webhookId: string, outcome: Outcome, timeoutMs: number): Promise<DeliveryResult> {
    const body = JSON.stringify(outcome);
    const now = new Date();
    try {
      const res = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'nestjs-request-queue',
          'x-correlation-id': outcome.correlationId,
          'webhook-id': webhookId,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signCallback(token, webhookId, now, body),
        },
        body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return { type: 'delivered', status: res.statusCode };
      if (res.statusCode === 410) return { type: 'gone' };
      return { type: 'failed', error: `callback receiver answered ${res.statusCode}` };
    } catch (err) {
      return { type: 'failed', error: `callback failed: ${describeError(err)}` };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
