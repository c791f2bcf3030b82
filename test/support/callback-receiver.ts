import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

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
 * A real HTTP callback receiver on 127.0.0.1: records every POST, verifies its signature
 * with `standardwebhooks` (secret = base64 of the token), and answers the statuses queued
 * in `answers` (then 200).
 */
export class CallbackReceiver {
  readonly calls: ReceivedCallback[] = [];
  answers: number[] = [];
  private server?: Server;
  private waiters: (() => void)[] = [];
  port = 0;

  constructor(readonly token: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/callback`;
  }

  async start(): Promise<this> {
    const webhook = new Webhook(Buffer.from(this.token).toString('base64'));
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let verified = true;
        try {
          webhook.verify(raw, req.headers as Record<string, string>);
        } catch {
          verified = false;
        }
        const answered = this.answers.shift() ?? 200;
        this.calls.push({
          headers: req.headers,
          raw,
          body: JSON.parse(raw) as ReceivedCallback['body'],
          verified,
          answered,
        });
        res.statusCode = answered;
        res.end();
        this.waiters.splice(0).forEach((wake) => wake());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Resolves once `count` callbacks arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedCallback[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} callback(s), got ${this.calls.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.calls;
  }

  /** The callbacks for one correlation id. */
  for(correlationId: string): ReceivedCallback[] {
    return this.calls.filter((c) => c.body.correlationId === correlationId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
