import {
  createStore,
  RequestQueueRuntime,
  resolveOptions,
  type RequestQueueModuleOptions,
  type RequestQueueStore,
} from '../../../lib/index.js';
import type { StoreHarness } from '../../support/stores.js';

export const SECRET = 'cli-test-secret-0123456789';
export const CALLBACK_TOKEN = 'cli-test-callback-token-0123';

/**
 * A runtime as an API process has it (to queue requests) over the harness's store, with
 * the given worker base URL and callback receiver port allowed.
 */
export async function apiRuntime(
  harness: Pick<StoreHarness, 'options'>,
  baseUrl: string,
  receiverPort: number,
  extra: RequestQueueModuleOptions = harness.options,
): Promise<RequestQueueRuntime> {
  const options = resolveOptions({
    ...extra,
    baseUrl,
    secret: SECRET,
    callback: { allowedHosts: [`127.0.0.1:${receiverPort}`], retryDelays: [100, 100], ...extra.callback },
  });
  const store: RequestQueueStore = await createStore(options);
  return new RequestQueueRuntime(options, store);
}

/** The environment a spawned `request-queue` or sample worker needs to reach the same store and app. */
export function processEnv(
  harness: Pick<StoreHarness, 'env'>,
  baseUrl: string,
  receiverPort: number,
): Record<string, string> {
  return {
    ...harness.env,
    REQUEST_QUEUE_BASE_URL: baseUrl,
    REQUEST_QUEUE_SECRET: SECRET,
    REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS: `127.0.0.1:${receiverPort}`,
  };
}
