import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { RequestQueueModuleOptions } from '../../../lib/index.js';
import type { AdapterName } from '../../support/nest-app.js';
import type { StoreHarness, StoreKind } from '../../support/stores.js';
import { Client } from './send.js';
import { createSecurityApp, type SecurityApp } from './security-app.js';

/** A fresh store, a security app on it (API only) and a raw HTTP client; filled in by `beforeAll`. */
export interface LiveSecurityApp {
  store: StoreHarness;
  app: SecurityApp;
  client: Client;
}

/**
 * Registers the hooks of a `describe` that sends requests to a security app over `adapter`
 * on a fresh store of `kind`, on a queue of its own (`<label>-…`), and removes it all after.
 */
export function useSecurityApp(
  kind: StoreKind,
  adapter: AdapterName,
  label: string,
  options: RequestQueueModuleOptions,
): LiveSecurityApp {
  const live = {} as LiveSecurityApp;
  beforeAll(async () => {
    live.store = await kind.create();
    live.app = await createSecurityApp(adapter, {
      ...live.store.options,
      queue: `${label}-${randomUUID().slice(0, 8)}`,
      ...options,
    });
    live.client = new Client(live.app.url);
  });
  afterAll(async () => {
    await live.client?.close();
    await live.app?.close();
    await live.store?.cleanup();
  });
  return live;
}
