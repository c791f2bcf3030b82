import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RequestQueueConfigError, resolveOptions } from '../request-queue.options.js';
import { REQUEST_QUEUE_ENV, requestQueueOptionsFromEnv } from './options-from-env.js';

describe('requestQueueOptionsFromEnv', () => {
  it('sets only what is set, leaving every other option to the module default', () => {
    expect(requestQueueOptionsFromEnv({})).toEqual({});
    const resolved = resolveOptions(requestQueueOptionsFromEnv({}));
    const defaults = resolveOptions({});
    expect(resolved).toEqual(defaults);
    expect(resolved.driver).toBe('redis');
  });

  it('replays against 127.0.0.1:$PORT when only PORT is set', () => {
    expect(requestQueueOptionsFromEnv({ PORT: '4000' })).toEqual({ baseUrl: 'http://127.0.0.1:4000' });
  });

  it('reads every variable of docs/operations.md "Configuration"', () => {
    const options = requestQueueOptionsFromEnv({
      REQUEST_QUEUE_DRIVER: 'redis',
      REDIS_URL: 'redis://10.1.1.1:6380',
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/app',
      REQUEST_QUEUE_BASE_URL: 'http://api.internal:8080',
      REQUEST_QUEUE_SECRET: 's3cret',
      REQUEST_QUEUE_PREVIOUS_SECRETS: 'old1, old2',
      REQUEST_QUEUE_QUEUE: 'high',
      REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS: '127.0.0.1:4000, hooks.internal',
      REQUEST_QUEUE_CALLBACK_HTTPS_ONLY: 'true',
      REQUEST_QUEUE_REDIS_PREFIX: '{rq}',
      REQUEST_QUEUE_CORRELATION_HEADER: 'X-Request-Queue-ID',
      REQUEST_QUEUE_CLAIM_SYNCHRONOUS_REQUESTS: 'false',
      REQUEST_QUEUE_IDEMPOTENCY_KEY: 'true',
      REQUEST_QUEUE_STATUS_TTL: '3600000',
      REQUEST_QUEUE_STATUS_PATH: '/api/requests',
      REQUEST_QUEUE_SERVE_STATUS: 'false',
    });
    expect(options).toMatchObject({
      driver: 'redis',
      baseUrl: 'http://api.internal:8080',
      queue: 'high',
      secret: 's3cret',
      previousSecrets: ['old1', 'old2'],
      redis: { url: 'redis://10.1.1.1:6380', prefix: '{rq}' },
      database: { url: 'mysql://root@127.0.0.1:3306/app' },
      callback: { allowedHosts: ['127.0.0.1:4000', 'hooks.internal'], httpsOnly: true },
      correlationHeader: 'X-Request-Queue-ID',
      claimSynchronousRequests: false,
      idempotencyKey: true,
      statusTtl: 3_600_000,
      statusPath: '/api/requests',
      serveStatus: false,
    });
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_STATUS_TTL: '1h' })).toThrow(
      /REQUEST_QUEUE_STATUS_TTL must be a whole number of milliseconds/,
    );
  });

  it('reads the replay and callback schedule and the lease', () => {
    const options = requestQueueOptionsFromEnv({
      REQUEST_QUEUE_TRIES: '5',
      REQUEST_QUEUE_BACKOFF: 'fixed:2500',
      REQUEST_QUEUE_TIMEOUT: '10000',
      REQUEST_QUEUE_CALLBACK_RETRY_DELAYS: '1000, 5000,60000',
      REQUEST_QUEUE_CALLBACK_TIMEOUT: '8000',
      REQUEST_QUEUE_LEASE: '45000',
      REQUEST_QUEUE_CALLBACK_HTTPS_ONLY: 'true',
      REDIS_URL: 'redis://10.1.1.1:6380',
    });
    expect(options).toEqual({
      tries: 5,
      backoff: { type: 'fixed', delay: 2500 },
      timeout: 10_000,
      callback: { httpsOnly: true, retryDelays: [1000, 5000, 60_000], timeout: 8000 },
      redis: { url: 'redis://10.1.1.1:6380', lockDuration: 45_000 },
      database: { retryAfter: 45_000 },
    });
    const resolved = resolveOptions(options);
    expect(resolved).toMatchObject({
      tries: 5,
      backoff: { type: 'fixed', delay: 2500 },
      timeout: 10_000,
      callback: { retryDelays: [1000, 5000, 60_000], timeout: 8000, httpsOnly: true },
    });
    expect(resolved.database.retryAfter).toBe(45_000);
    expect(requestQueueOptionsFromEnv({ REQUEST_QUEUE_BACKOFF: 'exponential' })).toEqual({
      backoff: { type: 'exponential', delay: 1000 },
    });
  });

  it('names a bad schedule variable and what it expects', () => {
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_CALLBACK_RETRY_DELAYS: '5s,5m' })).toThrow(
      /REQUEST_QUEUE_CALLBACK_RETRY_DELAYS must be whole numbers of milliseconds separated by commas.*got '5s,5m'/,
    );
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_CALLBACK_RETRY_DELAYS: '1000,,2000' })).toThrow(
      RequestQueueConfigError,
    );
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_BACKOFF: 'linear' })).toThrow(
      /REQUEST_QUEUE_BACKOFF must be 'fixed' or 'exponential'/,
    );
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_TRIES: '0' })).toThrow(
      /REQUEST_QUEUE_TRIES must be at least 1/,
    );
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_TIMEOUT: '30s' })).toThrow(
      /REQUEST_QUEUE_TIMEOUT must be a whole number of milliseconds/,
    );
    // A lease no longer than an attempt is refused when the options are resolved, naming the fix.
    expect(() => resolveOptions(requestQueueOptionsFromEnv({ REQUEST_QUEUE_LEASE: '1000' }))).toThrow(
      /database.retryAfter \(1000 ms\) must exceed/,
    );
  });

  it('names a bad driver', () => {
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_DRIVER: 'mongo' })).toThrow(RequestQueueConfigError);
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_DRIVER: 'mongo' })).toThrow(/REQUEST_QUEUE_DRIVER/);
  });

  it('names a true/false variable with another value', () => {
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_CALLBACK_HTTPS_ONLY: 'yes' })).toThrow(
      /REQUEST_QUEUE_CALLBACK_HTTPS_ONLY must be 'true' or 'false' \(got 'yes'\)/,
    );
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_CLAIM_SYNCHRONOUS_REQUESTS: '0' })).toThrow(
      /REQUEST_QUEUE_CLAIM_SYNCHRONOUS_REQUESTS must be 'true' or 'false'/,
    );
    expect(requestQueueOptionsFromEnv({ REQUEST_QUEUE_CALLBACK_HTTPS_ONLY: 'false' })).toEqual({
      callback: { httpsOnly: false },
    });
  });

  it('lists every variable it reads in REQUEST_QUEUE_ENV (what --help prints)', () => {
    const source = readFileSync(new URL('./options-from-env.ts', import.meta.url), 'utf8');
    const read = new Set([...source.matchAll(/env\.([A-Z_]+)/g)].map((m) => m[1]));
    const listed = new Set(REQUEST_QUEUE_ENV.map((v) => v.name));
    for (const name of read) if (name !== 'PORT') expect(listed).toContain(name);
  });
});
