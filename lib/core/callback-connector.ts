import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { isHostAllowed, isPublicAddress, type CallbackUrlPolicy } from './callback-url.js';

/** Resolves a host name to every address it has (the default is `dns.lookup` with `all: true`). */
export type AddressLookup = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

/** undici's socket opener: given where to connect, calls back with a connected socket or an error. */
export type SocketConnector = buildConnector.connector;

/**
 * The address a callback would connect to is refused by the policy. No socket was opened.
 * The worker treats this as final: retrying cannot make a refused address acceptable.
 */
export class CallbackAddressRefusedError extends Error {
  override readonly name = 'CallbackAddressRefusedError';
  readonly code = 'ERR_CALLBACK_ADDRESS_REFUSED';
}

export interface GuardedConnectorOptions {
  policy: CallbackUrlPolicy;
  /** How host names are resolved [`dns.lookup`, all addresses]. Tests pass a fake resolver. */
  lookup?: AddressLookup;
  /** Opens the socket to an address already checked [undici's own connector]. Tests pass a spy. */
  connect?: SocketConnector;
  /** Connect timeout of the default connector, ms [10 s]. */
  timeout?: number;
}

const defaultLookup: AddressLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Errors after which the next resolved address is worth a try. */
const TRY_NEXT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

function allowHint(host: string, port: string): string {
  return `add '${host}:${port}' to callback.allowedHosts to allow it`;
}

/**
 * An undici connector that checks the address a callback socket actually connects to
 * (docs/security.md). It resolves the host itself, refuses the connection when any address is not
 * public (loopback, private, link-local, CGNAT, multicast, unspecified, unique-local, …)
 * unless `allowedHosts` names the host, and then connects to exactly the address it
 * checked — so DNS rebinding between a check and the connect cannot happen. The host name
 * is kept for TLS (SNI and certificate checks). With `httpsOnly`, plain http is refused.
 */
export function guardedConnector(options: GuardedConnectorOptions): SocketConnector {
  const { policy } = options;
  const lookup = options.lookup ?? defaultLookup;
  const connect = options.connect ?? buildConnector({ timeout: options.timeout ?? 10_000 });

  return (opts, callback) => {
    const refuse = (message: string) => callback(new CallbackAddressRefusedError(message), null);
    if (policy.httpsOnly && opts.protocol !== 'https:')
      return refuse(`callback refused: only https is allowed (got ${opts.protocol})`);
    const port = opts.port || (opts.protocol === 'https:' ? '443' : '80');
    const hostname = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
    const shown = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
    const allowed = isHostAllowed(policy, shown, port);

    if (isIP(hostname) !== 0) {
      if (!allowed && !isPublicAddress(hostname)) {
        return refuse(`callback refused: ${shown} is not a public address (${allowHint(shown, port)})`);
      }
      return connect({ ...opts, hostname }, callback);
    }

    lookup(hostname).then(
      (found) => {
        const addresses = found.map((a) => a.address);
        if (addresses.length === 0)
          return callback(Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND' }), null);
        if (!allowed) {
          const bad = addresses.find((a) => !isPublicAddress(a));
          if (bad !== undefined) {
            return refuse(
              `callback refused: ${hostname} resolves to ${bad}, which is not a public address (${allowHint(hostname, port)})`,
            );
          }
        }
        connectInTurn(connect, opts, addresses, 0, callback);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
    );
  };
}

/** Connects to the checked addresses one after another until one answers. */
function connectInTurn(
  connect: SocketConnector,
  opts: buildConnector.Options,
  addresses: readonly string[],
  index: number,
  callback: buildConnector.Callback,
): void {
  connect({ ...opts, hostname: addresses[index]! }, (err, socket) => {
    if (err && index + 1 < addresses.length && TRY_NEXT.has((err as { code?: string }).code ?? '')) {
      connectInTurn(connect, opts, addresses, index + 1, callback);
      return;
    }
    if (err) callback(err, null);
    else callback(null, socket);
  });
}
