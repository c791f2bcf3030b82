import { createServer, type Server } from 'node:http';

/** One request the target app answered (a replay by the worker). */
export interface TargetHit {
  method: string;
  url: string;
  correlationId: string;
  body: string;
  startedAt: number;
  finishedAt?: number;
}

/**
 * Plays the API a worker replays against (`REQUEST_QUEUE_BASE_URL`): a bare HTTP server on
 * 127.0.0.1 that records every request. `/slow/<ms>/…` answers after `ms`,
 * `/status/<code>/…` answers that status, anything else answers 200 JSON at once.
 */
export class TargetApp {
  readonly hits: TargetHit[] = [];
  private server?: Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const hit: TargetHit = {
          method: req.method ?? '',
          url: req.url ?? '',
          correlationId: String(req.headers['x-correlation-id'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
          startedAt: Date.now(),
        };
        this.hits.push(hit);
        const slow = /^\/slow\/(\d+)/.exec(hit.url);
        const status = /^\/status\/(\d{3})/.exec(hit.url);
        const answer = () => {
          hit.finishedAt = Date.now();
          res.statusCode = status ? Number(status[1]) : 200;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ ok: res.statusCode < 400, url: hit.url }));
        };
        if (slow) setTimeout(answer, Number(slow[1]));
        else answer();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** The requests for one correlation id. */
  for(correlationId: string): TargetHit[] {
    return this.hits.filter((h) => h.correlationId === correlationId);
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
