import { Agent, request, type Dispatcher } from 'undici';
import {
  CallbackAddressRefusedError,
  guardedConnector,
  type AddressLookup,
  type SocketConnector,
} from './callback-connector.js';
import { signCallback } from './callback-signature.js';
import { checkCallbackUrl, type CallbackUrlPolicy } from './callback-url.js';
import { describeError } from './http-body.js';
import type { Outcome } from './job.js';
import type { TraceCarrier } from '../observability/queue-tracer.js';

export type DeliveryResult =
  | { type: 'delivered'; status: number }
  | { type: 'gone' }
  /** The URL or the address it resolves to is not allowed; nothing was sent. Final. */
  | { type: 'refused'; error: string }
  | { type: 'failed'; error: string };

export interface CallbackSenderOptions {
  /** Who may receive callbacks [no exceptions, http and https]. */
  policy?: CallbackUrlPolicy;
  /** Host name resolver for the connection-time check [`dns.lookup`]. */
  lookup?: AddressLookup;
  /** Opens sockets to checked addresses [undici's connector]. */
  connect?: SocketConnector;
}

const NO_EXCEPTIONS: CallbackUrlPolicy = { allowedHosts: [], httpsOnly: false };

/** A callback ready for the wire: its checked URL, signed headers and the exact body they cover. */
export interface SignedCallback {
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly webhookId: string;
  readonly outcome: Outcome;
}

/**
 * POSTs an outcome to a callback URL, signed per Standard Webhooks. Success is a 2xx only;
 * redirects are not followed; 410 Gone means the receiver wants no more.
 *
 * The URL is checked again against the policy before sending (the policy may have changed
 * since the request was queued), and every connection goes through `guardedConnector`,
 * which checks the address the socket is opened to.
 */
export class CallbackSender {
  private readonly agent: Dispatcher;
  private readonly policy: CallbackUrlPolicy;

  constructor(options: CallbackSenderOptions = {}) {
    this.policy = options.policy ?? NO_EXCEPTIONS;
    this.agent = new Agent({
      keepAliveTimeout: 4_000,
      connections: 32,
      connect: guardedConnector({ policy: this.policy, lookup: options.lookup, connect: options.connect }),
    });
  }

  async send(
    url: string,
    token: string,
    webhookId: string,
    outcome: Outcome,
    timeoutMs: number,
    /** Trace context the request carries (`traceparent`, `tracestate`); never `baggage`, which stays in the app. */
    trace?: TraceCarrier,
  ): Promise<DeliveryResult> {
    const checked = checkCallbackUrl(url, this.policy);
    if (!checked.ok) return { type: 'refused', error: `callback refused: the URL ${checked.reason}` };
    const { headers, body } = signedCallback(token, webhookId, outcome, trace);
    return this.post({ url: checked.url, headers, body, webhookId, outcome }, timeoutMs);
  }

  /** Puts a checked, signed callback on the wire (the testing module's recorder overrides it). */
  protected async post({ url, headers, body }: SignedCallback, timeoutMs: number): Promise<DeliveryResult> {
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return { type: 'delivered', status: res.statusCode };
      if (res.statusCode === 410) return { type: 'gone' };
      return { type: 'failed', error: `callback receiver answered ${res.statusCode}` };
    } catch (err) {
      if (isRefusal(err)) return { type: 'refused', error: (err as Error).message };
      return { type: 'failed', error: `callback failed: ${describeError(err)}` };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function isRefusal(err: unknown): boolean {
  return (
    err instanceof CallbackAddressRefusedError ||
    (err as { code?: unknown } | null)?.code === 'ERR_CALLBACK_ADDRESS_REFUSED'
  );
}

/** The receiver is another party: the app's baggage (user ids, tenant names…) is not sent to it. */
function withoutBaggage(trace: TraceCarrier | undefined): TraceCarrier | undefined {
  if (!trace || !('baggage' in trace)) return trace;
  const rest = { ...trace };
  delete rest.baggage;
  return rest;
}

/**
 * A callback as it goes on the wire: the JSON body and the headers, Standard Webhooks'
 * signature over that body included (and the request's trace context, never `baggage`).
 */
export function signedCallback(
  token: string,
  webhookId: string,
  outcome: Outcome,
  trace?: TraceCarrier,
  now = new Date(),
): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(outcome);
  const headers = {
    ...withoutBaggage(trace),
    'content-type': 'application/json',
    'user-agent': 'nestjs-request-queue',
    'x-correlation-id': outcome.correlationId,
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signCallback(token, webhookId, now, body),
  };
  return { headers, body };
}
