import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { HttpRecorder } from './http-recorder.js';
import { waitFor } from './wait-for.js';

export interface ReceivedCallback {
  headers: IncomingHttpHeaders;
  raw: string;
  body: {
    correlationId: string;
    status: 'completed' | 'failed';
    attempts: number;
    response: { status: number; headers: Record<string, string>; body: unknown } | null;
    error?: string;
  };
  /** Whether the signature verified with the `standardwebhooks` library. */
  verified: boolean;
  /** The status this receiver answered. */
  answered: number;
}

/**
 * A real HTTP callback receiver on 127.0.0.1 (an HttpRecorder): records every POST, verifies
 * its signature with `standardwebhooks` (secret = base64 of the token), and answers the
 * statuses queued in `answers` (then 200).
 */
export class CallbackReceiver {
  readonly calls: ReceivedCallback[] = [];
  answers: number[] = [];
  private readonly http: HttpRecorder;

  constructor(readonly token: string) {
    const webhook = new Webhook(Buffer.from(token).toString('base64'));
    this.http = new HttpRecorder((req, res) => {
      let verified = true;
      try {
        webhook.verify(req.body, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      const answered = this.answers.shift() ?? 200;
      this.calls.push({
        headers: req.headers,
        raw: req.body,
        body: JSON.parse(req.body) as ReceivedCallback['body'],
        verified,
        answered,
      });
      res.statusCode = answered;
      res.end();
    });
  }

  get port(): number {
    return this.http.port;
  }

  get url(): string {
    return `${this.http.origin}/callback`;
  }

  async start(): Promise<this> {
    await this.http.start();
    return this;
  }

  /**
   * Resolves once `calls` holds `count` callbacks; rejects after `timeoutMs`. Counts `calls`,
   * not every request the server ever saw, so a test that empties `calls` waits for new ones.
   */
  waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedCallback[]> {
    return waitFor(`${count} callback(s) at ${this.url}`, () => (this.calls.length >= count ? this.calls : undefined), {
      timeoutMs,
      intervalMs: 25,
      detail: () => `got ${this.calls.length}`,
    });
  }

  /** The callbacks for one correlation id. */
  for(correlationId: string): ReceivedCallback[] {
    return this.calls.filter((c) => c.body.correlationId === correlationId);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
