import { CallbackSender, type DeliveryResult, type SignedCallback } from '../core/callback-sender.js';
import type { CallbackUrlPolicy } from '../core/callback-url.js';
import type { Outcome } from '../core/job.js';

/** A callback the worker sent (or would have sent), as `RequestQueueTester.callbacks()` lists it. */
export interface SentCallback {
  /** The callback URL the request named. */
  url: string;
  /** The request headers, Standard Webhooks' `webhook-id`, `webhook-timestamp` and `webhook-signature` included. */
  headers: Record<string, string>;
  /** The outcome, parsed from `rawBody`. */
  body: Outcome;
  /** The exact body the signature covers. */
  rawBody: string;
  webhookId: string;
  correlationId: string;
  /** What the receiver answered, when the test asked for real deliveries (`deliverCallbacks: true`). */
  delivery?: DeliveryResult;
}

/**
 * The callback transport of the testing module: it signs each callback as the library's
 * sender does (same headers, same Standard Webhooks signature over the same body), records
 * it, and sends nothing unless `deliver` is set. The URL policy is checked as before a real
 * delivery: a refused URL is refused, and not recorded.
 */
export class RecordingCallbackSender extends CallbackSender {
  readonly sent: SentCallback[] = [];

  constructor(
    urlPolicy: CallbackUrlPolicy,
    private readonly deliver: boolean,
  ) {
    super({ policy: urlPolicy });
  }

  /** Called by `send` once the URL passed the policy, with the body and headers it signed. */
  protected override async post(signed: SignedCallback, timeoutMs: number): Promise<DeliveryResult> {
    const callback: SentCallback = {
      url: signed.url.href,
      headers: signed.headers,
      body: JSON.parse(signed.body) as Outcome,
      rawBody: signed.body,
      webhookId: signed.webhookId,
      correlationId: signed.outcome.correlationId,
    };
    this.sent.push(callback);
    if (!this.deliver) return { type: 'delivered', status: 200 };
    callback.delivery = await super.post(signed, timeoutMs);
    return callback.delivery;
  }
}
