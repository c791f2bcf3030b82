import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export const MAX_CALLBACK_URL_LENGTH = 2048;

/** Who may receive callbacks. */
export interface CallbackUrlPolicy {
  /**
   * Exceptions to the address policy: `host` (any port) or `host:port`, e.g. `127.0.0.1:4000`,
   * `[::1]:4000`, `hooks.internal`. Compared case-insensitively with the URL's host.
   */
  allowedHosts: readonly string[];
  /** Refuse plain `http:` callback URLs. */
  httpsOnly: boolean;
}

export type CallbackUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * True when `address` (an IP literal) is a public unicast address. Loopback, private,
 * link-local, carrier-grade NAT, multicast, unspecified, reserved, unique-local and
 * the IPv6 forms that embed an IPv4 address are refused; IPv4-mapped addresses are
 * judged as the IPv4 address they carry.
 */
export function isPublicAddress(address: string): boolean {
  if (isIP(address) === 0) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** True when `allowedHosts` names this host (and port, when the entry has one). */
export function isHostAllowed(
  policy: Pick<CallbackUrlPolicy, 'allowedHosts'>,
  hostname: string,
  port: string,
): boolean {
  const host = hostname.toLowerCase();
  for (const entry of policy.allowedHosts) {
    let e = entry.trim().toLowerCase();
    // A bare IPv6 address (`::1`) means the same as its bracketed form (`[::1]`).
    if (e.includes(':') && !e.startsWith('[') && ipaddr.IPv6.isValid(e)) e = `[${e}]`;
    if (e === host || e === `${host}:${port}`) return true;
  }
  return false;
}

/** Strips the brackets the URL parser keeps around IPv6 literals. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

/**
 * Submit-time check of a `_callback_url`: absolute http(s), no user-info, at most
 * 2048 characters, and a host that is not a non-public IP literal (in any spelling the
 * WHATWG URL parser normalises, e.g. `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`)
 * unless `allowedHosts` names it.
 */
export function checkCallbackUrl(raw: string, policy: CallbackUrlPolicy): CallbackUrlCheck {
  if (raw.length > MAX_CALLBACK_URL_LENGTH) {
    return { ok: false, reason: `must be at most ${MAX_CALLBACK_URL_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be an absolute http or https URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: 'must use http or https' };
  }
  if (policy.httpsOnly && url.protocol !== 'https:') {
    return { ok: false, reason: 'must use https' };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'must not contain user information' };
  }
  const host = bareHost(url.hostname);
  if (isHostAllowed(policy, url.hostname, url.port || defaultPort(url.protocol))) {
    return { ok: true, url };
  }
  // node:net's isIP is strict and fast; ipaddr.js is only asked about real IP literals.
  if (isIP(host) !== 0) {
    if (!isPublicAddress(host)) {
      return { ok: false, reason: `must not point to a private or reserved address (${host})` };
    }
  } else if (/(^|\.)localhost\.?$/.test(host)) {
    return { ok: false, reason: 'must not point to localhost' };
  }
  return { ok: true, url };
}
