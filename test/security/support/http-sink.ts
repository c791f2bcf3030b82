import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

export interface SinkRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = (req: SinkRequest, res: ServerResponse) => void;

/** A plain HTTP server on 127.0.0.1 that records what it gets and answers with `answer` (200 by default). */
export class HttpSink {
  readonly requests: SinkRequest[] = [];
  port = 0;
  private server?: Server;

  constructor(private answer: Answer = (_req, res) => res.end()) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  respond(answer: Answer): void {
    this.answer = answer;
  }

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const entry = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(entry);
        this.answer(entry, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Waits until `count` requests arrived or `timeoutMs` passed; resolves to what arrived. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<SinkRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    return this.requests;
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
