import type { RequestQueueModuleOptions } from '../request-queue.options.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

function mergeTwo(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue; // an unset layer value keeps the one below
    const below = merged[key];
    merged[key] = isPlainObject(below) && isPlainObject(value) ? mergeTwo(below, value) : value;
  }
  return merged;
}

/**
 * Module options in layers, later ones over earlier ones, merged key by key through nested
 * option groups (`database`, `callback`, `worker`, …): `requestQueueOptionsFromEnv()` over the
 * options written in code sets `database.retryAfter` from `REQUEST_QUEUE_LEASE` without dropping
 * the code's `database.url`. Lists (`callback.allowedHosts`) and class instances (a TypeORM
 * `DataSource`, an ioredis client) are replaced, never merged; `undefined` never overrides.
 */
export function mergeRequestQueueOptions(
  ...layers: (RequestQueueModuleOptions | undefined)[]
): RequestQueueModuleOptions {
  let merged: Record<string, unknown> = {};
  for (const layer of layers) if (layer) merged = mergeTwo(merged, layer as Record<string, unknown>);
  return merged;
}
