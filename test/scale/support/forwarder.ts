import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP forwarder: everything accepted on `host:port` is piped to `127.0.0.1:targetPort`. */
export interface Forwarder {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (0: any free port) and pipes each connection to `127.0.0.1:targetPort`,
 * so that a network namespace reaching `host` (its veth peer's address in the root namespace)
 * reaches a server that listens on 127.0.0.1 only. Rejects when the port is taken.
 */
export async function forward(host: string, port: number, targetPort: number): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server: Server = createServer((inbound) => {
    accepted++;
    track(inbound);
    const outbound = connect(targetPort, '127.0.0.1');
    track(outbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as { port: number }).port;
  return {
    host,
    port: bound,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * One forwarder per host address to `127.0.0.1:targetPort`, all on the same port (a callback
 * URL names one port, whichever host runs the job). Tries a few ports if one is taken.
 */
export async function forwardOnEvery(hosts: readonly string[], targetPort: number): Promise<Forwarder[]> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const opened: Forwarder[] = [];
    try {
      opened.push(await forward(hosts[0]!, 0, targetPort));
      for (const host of hosts.slice(1)) opened.push(await forward(host, opened[0]!.port, targetPort));
      return opened;
    } catch (err) {
      await Promise.all(opened.map((f) => f.close()));
      if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error('no port free on every host address after 10 attempts');
}
