import { describe, expect, it } from 'vitest';
import { requestQueueOptionsFromEnv } from './config/options-from-env.js';
import { DEVELOPMENT_SECRET } from './core/secret-keys.js';
import {
  DEFAULT_CALLBACK_RETRY_DELAYS,
  RequestQueueConfigError,
  resolveOptions,
  type RequestQueueModuleOptions,
} from './request-queue.options.js';

describe('resolveOptions: correlation id settings', () => {
  it('defaults to X-Correlation-ID, claimed by synchronous requests', () => {
    const o = resolveOptions({});
    expect(o.correlationHeader).toBe('X-Correlation-ID');
    expect(o.claimSynchronousRequests).toBe(true);
  });

  it('keeps a valid header name as spelled, and claimSynchronousRequests false', () => {
    const o = resolveOptions({ correlationHeader: 'Idempotency-Key', claimSynchronousRequests: false });
    expect(o.correlationHeader).toBe('Idempotency-Key');
    expect(o.claimSynchronousRequests).toBe(false);
  });

  it.each(['', 'X Correlation', 'X-Id:', 'Ünïcode', 'a\nb'])(
    'refuses the header name %j, naming the option',
    (name) => {
      expect(() => resolveOptions({ correlationHeader: name })).toThrow(RequestQueueConfigError);
      expect(() => resolveOptions({ correlationHeader: name })).toThrow(
        /^correlationHeader must be an HTTP header name/,
      );
    },
  );

  it.each(['Host', 'content-length', 'X-Request-Queue-Replay', 'Authorization', 'Cookie'])(
    'refuses the reserved header %s',
    (name) => {
      expect(() => resolveOptions({ correlationHeader: name })).toThrow(/correlationHeader cannot be/);
    },
  );

  it('refuses a claimSynchronousRequests that is not a boolean', () => {
    expect(() => resolveOptions({ claimSynchronousRequests: 'false' as never })).toThrow(
      /claimSynchronousRequests must be true or false/,
    );
  });
});

describe('resolveOptions: status resources and the Idempotency-Key mode', () => {
  it('keeps status records as long as correlation ids, under /request-queue/requests, served by the module', () => {
    const o = resolveOptions({ correlationTtl: 5000 });
    expect(o).toMatchObject({
      statusTtl: 5000,
      statusPath: '/request-queue/requests',
      serveStatus: true,
      idempotencyKey: false,
    });
    expect(resolveOptions({ statusTtl: 1000, statusPath: '/api/v1/jobs', serveStatus: false })).toMatchObject({
      statusTtl: 1000,
      statusPath: '/api/v1/jobs',
      serveStatus: false,
    });
  });

  it.each(['', 'requests', '/requests/', '/requests/:id', '/a b', '/a?x=1', '/a/*'])(
    'refuses the status path %j, naming the option',
    (path) => {
      expect(() => resolveOptions({ statusPath: path })).toThrow(/^statusPath must be an absolute path/);
    },
  );

  it('reads the key from Idempotency-Key in that mode, unless the header is set', () => {
    expect(resolveOptions({ idempotencyKey: true }).correlationHeader).toBe('Idempotency-Key');
    expect(resolveOptions({ idempotencyKey: true, correlationHeader: 'X-Key' }).correlationHeader).toBe('X-Key');
    expect(() => resolveOptions({ idempotencyKey: 'yes' as never })).toThrow(/idempotencyKey must be true or false/);
    expect(() => resolveOptions({ statusTtl: 0 })).toThrow(/statusTtl must be a positive integer/);
  });
});

describe('resolveOptions: queue names', () => {
  it('refuses a callback lane as a queue of its own', () => {
    expect(() => resolveOptions({ queue: 'api:request#callbacks' })).toThrow(/callback lane of queue 'api:request'/);
    expect(() => resolveOptions({ worker: { queues: ['high', 'high#callbacks'] } })).toThrow(RequestQueueConfigError);
    expect(resolveOptions({ queue: 'api:request' }).worker.queues).toEqual(['api:request']);
  });
});

describe('resolveOptions: flow control per queue', () => {
  it('keeps valid limits and refuses numbers that cannot work, naming the queue and the field', () => {
    const flow = { 'api:request': { throttle: { allow: 10, every: 60_000 }, funnel: { limit: 1 } } };
    expect(resolveOptions({ flow }).flow).toEqual(flow);
    expect(resolveOptions({}).flow).toEqual({});
    expect(() => resolveOptions({ flow: { q: { throttle: { allow: 0, every: 1000 } } } })).toThrow(
      new RequestQueueConfigError("flow['q']: throttle.allow must be a positive integer (got 0)"),
    );
  });
});

describe('resolveOptions: defaults', () => {
  it('fills every option with its documented default', () => {
    const o = resolveOptions({}, {});
    expect(o).toMatchObject({
      driver: 'redis',
      baseUrl: undefined,
      queue: 'api:request',
      correlationTtl: 24 * 60 * 60 * 1000,
      statusTtl: 24 * 60 * 60 * 1000,
      tries: 3,
      backoff: { type: 'exponential', delay: 1000 },
      timeout: 30_000,
      limits: { maxBodyBytes: 1024 * 1024, maxHeaderBytes: 16 * 1024 },
      callback: {
        timeout: 15_000,
        retryDelays: DEFAULT_CALLBACK_RETRY_DELAYS,
        allowedHosts: [],
        httpsOnly: false,
      },
      secret: DEVELOPMENT_SECRET,
      previousSecrets: [],
      worker: { enabled: false, queues: ['api:request'], concurrency: 5 },
      tracing: true,
      dashboard: null,
      flow: {},
    });
    expect([...o.methods]).toEqual(['PATCH', 'PUT', 'DELETE']);
    expect(o.metrics).toBeUndefined();
    expect(DEFAULT_CALLBACK_RETRY_DELAYS).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
    // The database lease default covers the longest attempt, with its margin.
    expect(o.database.retryAfter).toBe(90_000);
  });

  it('upper-cases methods, and derives the worker queue from the default queue', () => {
    const o = resolveOptions({ methods: ['patch', 'Post'], queue: 'writes' });
    expect([...o.methods]).toEqual(['PATCH', 'POST']);
    expect(o.worker.queues).toEqual(['writes']);
  });

  // The rule, not a number: a stopping worker must give a job in hand the time its attempt may
  // take, the replay's or the callback delivery's, or a drain abandons a delivery in flight.
  it.each([
    [30_000, 15_000],
    [5_000, 15_000],
    [1_000, 60_000],
    [120_000, 1_000],
  ])(
    'gives a stopping worker a grace period covering the longest attempt (timeout %i, callback.timeout %i)',
    (timeout, callbackTimeout) => {
      const o = resolveOptions({ timeout, callback: { timeout: callbackTimeout } });
      expect(o.worker.gracePeriod).toBeGreaterThanOrEqual(timeout);
      expect(o.worker.gracePeriod).toBeGreaterThanOrEqual(callbackTimeout);
    },
  );

  it('keeps a grace period given explicitly when it covers the longest attempt', () => {
    expect(resolveOptions({ worker: { gracePeriod: 60_000 } }).worker.gracePeriod).toBe(60_000);
  });
});

describe('resolveOptions: every bad setting is refused with a message naming it', () => {
  it.each<[string, RequestQueueModuleOptions, RegExp]>([
    ['driver', { driver: 'mongo' as never }, /^driver must be 'redis' or 'database' \(got 'mongo'\)/],
    ['baseUrl', { baseUrl: 'not a url' }, /^baseUrl must be an absolute URL/],
    ['baseUrl (not http)', { baseUrl: 'ftp://127.0.0.1' }, /^baseUrl must be an http: or https: URL/],
    ['baseUrl (worker)', { worker: { enabled: true } }, /^baseUrl is required to run a worker/],
    ['queue', { queue: '' }, /^queue must be a non-empty string/],
    ['methods', { methods: 'PUT' as never }, /^methods must be a list of HTTP methods/],
    ['methods (empty)', { methods: [] }, /^methods must be a list of HTTP methods/],
    [
      'methods (not a token)',
      { methods: ['PUT', 'NOT A METHOD'] },
      /^methods must be a list of HTTP methods.*NOT A METHOD/,
    ],
    ['tries', { tries: 0 }, /^tries must be a positive integer \(got 0\)/],
    ['timeout', { timeout: 1.5 }, /^timeout must be a positive integer \(got 1.5\)/],
    ['correlationTtl', { correlationTtl: -1 }, /^correlationTtl must be a positive integer/],
    ['statusTtl', { statusTtl: Number.NaN }, /^statusTtl must be a positive integer/],
    [
      'backoff.type',
      { backoff: { type: 'linear' as never, delay: 1 } },
      /^backoff.type must be 'fixed' or 'exponential'/,
    ],
    [
      'backoff.delay',
      { backoff: { type: 'fixed', delay: -1 } },
      /^backoff.delay must be a whole number of ms, 0 or more \(got -1\)/,
    ],
    ['backoff.delay (missing)', { backoff: { type: 'fixed' } as never }, /^backoff.delay must be a whole number/],
    ['limits.maxBodyBytes', { limits: { maxBodyBytes: 0 } }, /^limits.maxBodyBytes must be a positive integer/],
    ['limits.maxHeaderBytes', { limits: { maxHeaderBytes: 1.5 } }, /^limits.maxHeaderBytes must be a positive integer/],
    ['callback.timeout', { callback: { timeout: 0 } }, /^callback.timeout must be a positive integer/],
    [
      'callback.retryDelays',
      { callback: { retryDelays: [5000, -1] } },
      /^callback.retryDelays must be a list of whole numbers of ms/,
    ],
    [
      'callback.retryDelays (not a list)',
      { callback: { retryDelays: '5000' as never } },
      /^callback.retryDelays must be a list/,
    ],
    [
      'callback.allowedHosts',
      { callback: { allowedHosts: 'hooks.internal' as never } },
      /^callback.allowedHosts must be a list of host names/,
    ],
    ['callback.httpsOnly', { callback: { httpsOnly: 'yes' as never } }, /^callback.httpsOnly must be true or false/],
    ['secret', { secret: '' }, /^secret must be a non-empty string/],
    ['previousSecrets', { previousSecrets: 'old' as never }, /^previousSecrets must be a list of non-empty strings/],
    [
      'worker.enabled',
      { baseUrl: 'http://127.0.0.1:3000', worker: { enabled: 'yes' as never } },
      /^worker.enabled must be true or false/,
    ],
    ['worker.queues', { worker: { queues: [] } }, /^worker.queues must list at least one queue/],
    ['worker.concurrency', { worker: { concurrency: 0 } }, /^worker.concurrency must be a positive integer/],
    ['tracing', { tracing: 'no' as never }, /^tracing must be true or false/],
    ['metrics', { metrics: 'on' as never }, /^metrics must be an object of options/],
    ['metrics.prefix', { metrics: { prefix: '1x' } }, /^metrics.prefix must be letters/],
    ['metrics.endpoint', { metrics: { endpoint: 'metrics' } }, /^metrics.endpoint must be false or an absolute path/],
    ['database (required)', { driver: 'database' }, /^the database driver needs database.url/],
    [
      'database.retryAfter',
      { driver: 'database', database: { url: 'sqlite::memory:', retryAfter: 30_000 } },
      /^database.retryAfter \(30000 ms\) must exceed the longest attempt timeout \(30000 ms/,
    ],
    ['dashboard', { dashboard: { enabled: true } as never }, /^dashboard needs protection/],
  ])('%s', (_name, options, message) => {
    let thrown: unknown;
    try {
      resolveOptions(options, {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RequestQueueConfigError);
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('resolveOptions: the environment', () => {
  it('refuses to run in production without a secret of its own, reading NODE_ENV from the env it is given', () => {
    expect(() => resolveOptions({}, { NODE_ENV: 'production' })).toThrow(
      new RequestQueueConfigError('secret is required when NODE_ENV=production (set REQUEST_QUEUE_SECRET)'),
    );
    expect(() => resolveOptions({ secret: DEVELOPMENT_SECRET }, { NODE_ENV: 'production' })).toThrow(
      /secret is required/,
    );
    expect(resolveOptions({ secret: 'prod-secret' }, { NODE_ENV: 'production' }).secret).toBe('prod-secret');
    expect(resolveOptions({}, { NODE_ENV: 'development' }).secret).toBe(DEVELOPMENT_SECRET);
  });

  // The configuration the README shows: options in code, then the environment's over them.
  const configured = (env: NodeJS.ProcessEnv) =>
    resolveOptions(
      {
        driver: 'redis',
        baseUrl: 'http://127.0.0.1:3000',
        queue: 'from-code',
        tries: 5,
        ...requestQueueOptionsFromEnv(env),
      },
      env,
    );

  it('lets a variable that is set win over the option in code, and leaves the code to an unset or empty one', () => {
    const fromCode = configured({});
    expect(fromCode).toMatchObject({ baseUrl: 'http://127.0.0.1:3000', queue: 'from-code', tries: 5, driver: 'redis' });

    const fromEnv = configured({
      REQUEST_QUEUE_BASE_URL: 'http://api.internal:8080',
      REQUEST_QUEUE_QUEUE: 'from-env',
      REQUEST_QUEUE_TRIES: '7',
      REQUEST_QUEUE_DRIVER: '',
    });
    expect(fromEnv).toMatchObject({
      baseUrl: 'http://api.internal:8080',
      queue: 'from-env',
      tries: 7,
      driver: 'redis',
    });
    expect(fromEnv.worker.queues).toEqual(['from-env']);
    // PORT gives a base URL only when REQUEST_QUEUE_BASE_URL is not set.
    expect(configured({ PORT: '4000' }).baseUrl).toBe('http://127.0.0.1:4000');
    expect(configured({ PORT: '4000', REQUEST_QUEUE_BASE_URL: 'http://api:1' }).baseUrl).toBe('http://api:1');
  });

  it('checks what the environment sets as it checks options in code', () => {
    expect(() => configured({ REQUEST_QUEUE_CORRELATION_HEADER: 'Host' })).toThrow(
      /^correlationHeader cannot be 'Host'/,
    );
    expect(() => configured({ REQUEST_QUEUE_QUEUE: 'api:request#callbacks' })).toThrow(/callback lane/);
    expect(() => configured({ REQUEST_QUEUE_TRIES: '0' })).toThrow(/REQUEST_QUEUE_TRIES must be at least 1/);
    expect(() =>
      configured({ REQUEST_QUEUE_DRIVER: 'database', DATABASE_URL: 'sqlite::memory:', REQUEST_QUEUE_LEASE: '1000' }),
    ).toThrow(/^database.retryAfter \(1000 ms\) must exceed the longest attempt timeout/);
    expect(() => configured({ NODE_ENV: 'production' })).toThrow(/secret is required/);
    expect(configured({ NODE_ENV: 'production', REQUEST_QUEUE_SECRET: 'from-env' }).secret).toBe('from-env');
  });
});

describe('resolveOptions: worker.gracePeriod', () => {
  it('defaults to the longer of timeout and callback.timeout, plus 5 s', () => {
    expect(resolveOptions({}).worker.gracePeriod).toBe(35_000);
    expect(resolveOptions({ timeout: 5_000, callback: { timeout: 15_000 } }).worker.gracePeriod).toBe(20_000);
  });

  it('keeps a longer period as given, and raises a shorter one to callback.timeout + 5 s', () => {
    expect(resolveOptions({ worker: { gracePeriod: 60_000 } }).worker.gracePeriod).toBe(60_000);
    expect(resolveOptions({ worker: { gracePeriod: 2_000 }, callback: { timeout: 3_000 } }).worker.gracePeriod).toBe(
      8_000,
    );
  });

  it.each([-1, Number.NaN, '10s'])('refuses %j, naming the option', (value) => {
    expect(() => resolveOptions({ worker: { gracePeriod: value as number } })).toThrow(
      /^worker\.gracePeriod must be a number of ms, 0 or more/,
    );
  });
});
