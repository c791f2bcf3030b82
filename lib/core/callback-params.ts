import { checkCallbackUrl, type CallbackUrlPolicy } from './callback-url.js';

export const CALLBACK_URL_FIELD = '_callback_url';
export const CALLBACK_TOKEN_FIELD = '_callback_token';

const TOKEN = /^[\x21-\x7e]{16,256}$/;

/**
 * Callback URLs already found valid, per policy (raw → normalised): clients send the same
 * few URLs over and over, and parsing and judging one is a good part of the 202's own work.
 * Only the submit-time check is skipped; deliveries check the address again (DNS).
 */
const checkedUrls = new WeakMap<CallbackUrlPolicy, Map<string, string>>();
const MAX_CHECKED_URLS = 256;

function checkedUrl(url: string, policy: CallbackUrlPolicy): { href: string } | { reason: string } {
  let known = checkedUrls.get(policy);
  const href = known?.get(url);
  if (href !== undefined) return { href };
  const checked = checkCallbackUrl(url, policy);
  if (!checked.ok) return { reason: checked.reason };
  if (!known) checkedUrls.set(policy, (known = new Map<string, string>()));
  if (known.size >= MAX_CHECKED_URLS) known.clear();
  known.set(url, checked.url.href);
  return { href: checked.url.href };
}

export type CallbackParams =
  | { kind: 'none' }
  | { kind: 'valid'; url: string; token: string }
  | { kind: 'invalid'; field: string; message: string };

type Bag = Record<string, unknown> | undefined | null;

function pick(body: Bag, query: Bag, field: string): unknown {
  const fromBody = body && typeof body === 'object' ? body[field] : undefined;
  return fromBody !== undefined ? fromBody : query?.[field];
}

/**
 * Finds `_callback_url` and `_callback_token` in the body (preferred) or the query and
 * checks them: both absent means the request runs synchronously; one without the other,
 * a non-string, a bad URL or a bad token is invalid (422).
 */
export function readCallbackParams(body: Bag, query: Bag, policy: CallbackUrlPolicy): CallbackParams {
  const url = pick(body, query, CALLBACK_URL_FIELD);
  const token = pick(body, query, CALLBACK_TOKEN_FIELD);
  if (url === undefined && token === undefined) return { kind: 'none' };
  if (url === undefined) {
    return invalid(CALLBACK_URL_FIELD, `${CALLBACK_URL_FIELD} is required when ${CALLBACK_TOKEN_FIELD} is sent`);
  }
  if (typeof url !== 'string') return invalid(CALLBACK_URL_FIELD, `${CALLBACK_URL_FIELD} must be a string`);
  if (token === undefined) {
    return invalid(CALLBACK_TOKEN_FIELD, `${CALLBACK_TOKEN_FIELD} is required when ${CALLBACK_URL_FIELD} is sent`);
  }
  if (typeof token !== 'string') return invalid(CALLBACK_TOKEN_FIELD, `${CALLBACK_TOKEN_FIELD} must be a string`);
  const checked = checkedUrl(url, policy);
  if ('reason' in checked) return invalid(CALLBACK_URL_FIELD, `${CALLBACK_URL_FIELD} ${checked.reason}`);
  if (!TOKEN.test(token)) {
    return invalid(CALLBACK_TOKEN_FIELD, `${CALLBACK_TOKEN_FIELD} must be 16 to 256 visible ASCII characters`);
  }
  return { kind: 'valid', url: checked.href, token };
}

function invalid(field: string, message: string): CallbackParams {
  return { kind: 'invalid', field, message };
}
