import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { waitFor } from './wait-for.js';

/** One request a recorder received. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 text (`raw`: its bytes). */
  body: string;
  raw: Buffer;
  /** The `x-correlation-id` header ('' without one). */
  correlationId: string;
  /** When its body had arrived (ms since the epoch). */
  startedAt: number;
  /** When the answer was sent, once it was. */
  finishedAt?: number;
}

/** How a recorder answers one request (it must end `res`, now or later, or never for a hang). */
export type Answer = (req: RecordedRequest, res: ServerResponse) => void;

/** 200 with no body. */
export const answerOk: Answer = (_req, res) => res.end();

/**
 * Plays an app a worker replays against: `/slow/<ms>/…` answers after `ms`, `/status/<code>/…`
 * answers that status, anything else 200 at once; always a small JSON body.
 */
export const answerByPath: Answer = (req, res) => {
  const slow = /^\/slow\/(\d+)/.exec(req.url);
  const status = /^\/status\/(\d{3})/.exec(req.url);
  const answer = () => {
    res.statusCode = status ? Number(status[1]) : 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: res.statusCode < 400, url: req.url }));
  };
  if (slow) setTimeout(answer, Number(slow[1]));
  else answer();
};

/**
 * The one HTTP recorder of the tests: a bare server on 127.0.0.1 (a free port) that records
 * every request, in order, and answers it with `answer` (see `answerOk`, `answerByPath`).
 * A target app for replays, a callback receiver (see CallbackReceiver), or a plain sink.
 */
export class HttpRecorder {
  readonly requests: RecordedRequest[] = [];
  port = 0;
  private server?: Server;

  constructor(private answer: Answer = answerOk) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Answers the requests from now on with `answer`. */
  respond(answer: Answer): void {
    this.answer = answer;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const entry: RecordedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: raw.toString('utf8'),
          raw,
          correlationId: String(req.headers['x-correlation-id'] ?? ''),
          startedAt: Date.now(),
        };
        this.requests.push(entry);
        res.once('finish', () => (entry.finishedAt = Date.now()));
        this.answer(entry, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** The requests that carried `x-correlation-id: <correlationId>`. */
  for(correlationId: string): RecordedRequest[] {
    return this.requests.filter((r) => r.correlationId === correlationId);
  }

  /** Resolves to every request once `count` arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    return waitFor(
      `${count} request(s) at ${this.origin}`,
      () => (this.requests.length >= count ? this.requests : undefined),
      { timeoutMs, intervalMs: 25, detail: () => `got ${this.requests.length}` },
    );
  }

  /** Closes the server and every connection still open (a hanging answer included). */
  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
