import { Agent, request } from 'undici';

export interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed JSON body, or undefined when the body was not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface Outgoing {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A small HTTP client for the tests: one agent, raw control of headers and body bytes. */
export class Client {
  private readonly agent = new Agent({ keepAliveTimeout: 1_000, connections: 8 });

  constructor(private readonly base: string) {}

  async send({ method, path, headers = {}, body }: Outgoing): Promise<Sent> {
    const res = await request(`${this.base}${path}`, {
      method: method as 'PUT',
      headers,
      body,
      dispatcher: this.agent,
    });
    const text = await res.body.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text, json };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
