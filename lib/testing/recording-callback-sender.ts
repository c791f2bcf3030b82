import { CallbackSender, signedCallback, type DeliveryResult } from '../core/callback-sender.js';
import { checkCallbackUrl, type CallbackUrlPolicy } from '../core/callback-url.js';
import type { Outcome } from '../core/job.js';
import type { TraceCarrier } from '../observability/queue-tracer.js';

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
    private readonly urlPolicy: CallbackUrlPolicy,
    private readonly deliver: boolean,
  ) {
    super({ policy: urlPolicy });
  }

  override async send(
    url: string,
    token: string,
    webhookId: string,
    outcome: Outcome,
    timeoutMs: number,
    trace?: TraceCarrier,
  ): Promise<DeliveryResult> {
    const checked = checkCallbackUrl(url, this.urlPolicy);
    if (!checked.ok) return { type: 'refused', error: `callback refused: the URL ${checked.reason}` };
    // The same body and headers as CallbackSender.send puts on the wire.
    const { headers, body: rawBody } = signedCallback(token, webhookId, outcome, trace);
    const callback: SentCallback = {
      url: checked.url.href,
      headers,
      body: JSON.parse(rawBody) as Outcome,
      rawBody,
      webhookId,
      correlationId: outcome.correlationId,
    };
    this.sent.push(callback);
    if (!this.deliver) return { type: 'delivered', status: 200 };
    callback.delivery = await super.send(url, token, webhookId, outcome, timeoutMs, trace);
    return callback.delivery;
  }
}
