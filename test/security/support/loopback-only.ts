import net from 'node:net';
import { vi, type MockInstance } from 'vitest';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export interface LoopbackGuard {
  /** Every TCP destination a socket was asked to connect to, as `host:port`. */
  readonly attempts: string[];
  /** Destinations that were not loopback IP literals; each was blocked before a packet left. */
  readonly blocked: string[];
  restore(): void;
}

function destination(args: unknown[]): { host: string; port: unknown } | { path: string } {
  let first = args[0];
  // `net.connect()` hands `Socket#connect` its normalised arguments: `[options, callback]`.
  if (Array.isArray(first)) first = first[0];
  if (first && typeof first === 'object') {
    const o = first as { host?: string; port?: unknown; path?: string };
    if (o.path) return { path: o.path };
    return { host: o.host ?? 'localhost', port: o.port };
  }
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
}

/**
 * A connection spy on `net.Socket#connect` (which `net.connect`, `tls.connect` and so
 * undici all go through): it records every destination and throws — before any packet is
 * sent — for anything but a loopback IP literal. A host name counts as a violation too:
 * the callback connector must only ever hand sockets an address it has checked.
 */
export function loopbackOnly(): LoopbackGuard {
  const attempts: string[] = [];
  const blocked: string[] = [];
  // Unbound on purpose: called below with each socket as `this`.
  const original = Reflect.get(net.Socket.prototype, 'connect') as (this: net.Socket, ...a: unknown[]) => net.Socket;
  const spy: MockInstance = vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (
    this: net.Socket,
    ...args: unknown[]
  ) {
    const to = destination(args);
    if ('path' in to) return original.apply(this, args);
    const where = `${to.host}:${String(to.port)}`;
    attempts.push(where);
    if (!LOOPBACK.has(to.host)) {
      blocked.push(where);
      throw new Error(`test guard: refused to open a socket to ${where}`);
    }
    return original.apply(this, args);
  });
  return { attempts, blocked, restore: () => spy.mockRestore() };
}
