import { RequestQueueConfigError } from './core/errors.js';
import { gracePeriod, longestAttempt } from './core/policies.js';
import type { FlowOptions } from './flow/flow-options.js';
import { checkFunnel, checkThrottle } from './flow/flow-settings.js';
import type { BackoffOptions } from './core/backoff.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES } from './core/request-limits.js';
import {
  configuredGrace,
  delayMs,
  flag,
  headerName,
  httpMethods,
  nonEmptyString,
  positiveInt,
  queueName,
  retryDelays,
  isPlainPath,
  statusPath,
  stringList,
} from './config/option-checks.js';
import { DEVELOPMENT_SECRET } from './core/secret-keys.js';
import {
  resolveDashboardOptions,
  type DashboardOptions,
  type ResolvedDashboardOptions,
} from './dashboard/dashboard.options.js';
import {
  resolveDatabaseOptions,
  type DatabaseStoreOptions,
  type ResolvedDatabaseOptions,
} from './store/database/database-store.options.js';
import { resolveRedisOptions, type RedisStoreOptions } from './store/redis/redis-store.options.js';
import type { ResolvedMetricsOptions } from './observability/metrics.js';
import type { MetricsRegistry } from './observability/prom-client-api.js';

export type Driver = 'redis' | 'database';

/** Options of `RequestQueueModule.forRoot()`. Times are in milliseconds. */
export interface RequestQueueModuleOptions {
  /** Where jobs are kept [`'redis'`]. */
  driver?: Driver;
  /** Where the worker replays requests, e.g. `http://127.0.0.1:3000`. Required to run a worker. */
  baseUrl?: string;
  /** Default queue name [`'api:request'`]. */
  queue?: string;
  /** Methods that are queued when callback parameters are present [`PATCH`, `PUT`, `DELETE`]. */
  methods?: string[];
  /** Connection for the `redis` driver [`redis://127.0.0.1:6379`]. */
  redis?: RedisStoreOptions;
  /**
   * Connection and worker settings for the `database` driver: `url`, TypeORM `options` or an
   * existing `dataSource` (one is required with that driver), `migrationsRun` [false],
   * `retryAfter` (the lease) [max(90 s, longest attempt + 30 s)], `sleep` [1 s],
   * `batchSize` [concurrency], `commandTimeout` [2 s]. See `DatabaseStoreOptions`.
   */
  database?: DatabaseStoreOptions;
  /** How long a seen correlation id blocks reuse [24 h]. */
  correlationTtl?: number;
  /**
   * The request header the correlation id is read from, answered in (202, 409 and
   * synchronous answers) and sent on the worker's replay [`'X-Correlation-ID'`]. Pick another
   * name (`'Idempotency-Key'`, `'X-Request-Queue-ID'`) when a gateway or tracer already sends
   * `X-Correlation-ID` with the same id on several requests: with this header those requests
   * would get 409. The callback always carries the id as `X-Correlation-ID` (and in its body).
   */
  correlationHeader?: string;
  /**
   * Whether a request without callback parameters (handled synchronously) claims its
   * correlation id, so that a reuse gets 409 as in the Laravel package [true]. With `false`
   * synchronous requests never touch the store and never get 409 (and keep working while the
   * store is down); queued requests still claim their id. Set it to `false` (or change
   * `correlationHeader`) when clients or a gateway send the same `X-Correlation-ID` on several
   * plain calls; the trade-off is that a retried synchronous write is no longer refused.
   */
  claimSynchronousRequests?: boolean;
  /**
   * Idempotency-Key mode (IETF httpapi idempotency-key draft) [false]. A reused id no longer
   * gets 409 when it is a retry: the same key with the same request (method, path, body,
   * callback parameters) gets the original answer again (the same 202 and `Location`), the
   * same key with a different request gets 422, and 409 remains only while the first is
   * being accepted or for a key used by a synchronous request. `correlationHeader` then
   * defaults to `'Idempotency-Key'`.
   */
  idempotencyKey?: boolean;
  /** How long a request's status resource stays readable after its outcome is final [correlationTtl]. */
  statusTtl?: number;
  /**
   * Where status resources live: a 202's `Location` is `<statusPath>/<correlation id>?sig=…`
   * [`'/request-queue/requests'`]. Not under the app's global prefix.
   */
  statusPath?: string;
  /**
   * Whether the module serves `GET <statusPath>/:id` itself, outside the app's guards (the
   * capability in the URL is the protection) [true]. Set `false` to serve it from a
   * controller of your own (guarded as you like) through `RequestQueueRuntime.status`.
   */
  serveStatus?: boolean;
  /** Replay attempts per request [3]. */
  tries?: number;
  /** Delay between replay attempts [exponential from 1 s: 1 s, 2 s, 4 s, …]. */
  backoff?: BackoffOptions;
  /** Timeout of one replay attempt [30 s]. */
  timeout?: number;
  /** Limits on what a queued request may store; checked before anything is stored. */
  limits?: {
    /**
     * Largest body of a queued request, in bytes; a larger one gets 413 naming `body` [1 MiB].
     * The HTTP adapter's own body limit applies first, to every request (Express 100 KiB,
     * Fastify 1 MiB by default).
     */
    maxBodyBytes?: number;
    /** Largest total of the headers stored for a queued request, in bytes; more gets 431 naming `headers` [16 KiB]. */
    maxHeaderBytes?: number;
  };
  callback?: {
    /** Timeout of one delivery attempt [15 s]. */
    timeout?: number;
    /** Delays between delivery attempts [5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h]. */
    retryDelays?: number[];
    /** `host` or `host:port` exceptions to the private-address refusal [none]. */
    allowedHosts?: string[];
    /** Refuse `http:` callback URLs [false]. */
    httpsOnly?: boolean;
  };
  /**
   * Key for signing the replay marker and encrypting stored requests. Required when
   * `NODE_ENV=production`; elsewhere a fixed development key is used, with a warning.
   */
  secret?: string;
  /** Earlier values of `secret`, still accepted to open stored requests after a rotation. */
  previousSecrets?: string[];
  /**
   * Flow control per queue (README "Flow control"): `{ 'api:request': { throttle: { allow: 10, every: 60_000 } } }`.
   * A route's own `throttle`/`funnel` (`@QueueableRequest()`) replaces its queue's [none].
   */
  flow?: Record<string, FlowOptions>;
  /** Run jobs in this process [off: an API process does not consume jobs]. */
  worker?: {
    enabled?: boolean;
    /** Queues to take jobs from, highest priority first [the default queue]. */
    queues?: string[];
    /** Jobs run at once [5]. */
    concurrency?: number;
    /**
     * How long a stopping worker waits for jobs in hand [the longer of `timeout` and
     * `callback.timeout`, plus 5 s]. Never less than `callback.timeout` + 5 s, so a stopping
     * worker never abandons a callback delivery in flight.
     */
    gracePeriod?: number;
  };

  // Metrics and tracing (README).
  /**
   * Prometheus metrics through `prom-client` (an optional peer: `npm install prom-client`)
   * [off; given, even `{}`, turns them on]. See the README's "Metrics and tracing".
   */
  metrics?: {
    /** The prom-client `Registry` to register in [prom-client's global `register`]. */
    registry?: MetricsRegistry;
    /** Prefix of every metric name [`'request_queue_'`]. */
    prefix?: string;
    /**
     * Serve the registry in the Prometheus text format at this path, on the app's HTTP
     * adapter, outside its guards and global prefix, for an app that has no `/metrics` of its
     * own, e.g. `'/metrics'` [false].
     */
    endpoint?: string | false;
  };
  /**
   * Spans through `@opentelemetry/api` when the app has it (a no-op until the app registers
   * an SDK), and the request's trace context carried to the replay and the callback [true].
   */
  tracing?: boolean;
  /**
   * The operator's dashboard at `dashboard.path` [off]. Enabling it requires `guards` or
   * `basicAuth` (`allowUnprotected` is for a local demo, refused in production). See
   * `DashboardOptions` and the README's "Dashboard" section.
   */
  dashboard?: DashboardOptions;
}

/** The options with every default applied: what the rest of the library reads. */
export interface ResolvedOptions {
  driver: Driver;
  baseUrl: string | undefined;
  queue: string;
  methods: ReadonlySet<string>;
  redis: RedisStoreOptions;
  database: ResolvedDatabaseOptions;
  correlationTtl: number;
  /** As configured (its spelling is what responses carry); compare it case-insensitively. */
  correlationHeader: string;
  claimSynchronousRequests: boolean;
  idempotencyKey: boolean;
  statusTtl: number;
  statusPath: string;
  serveStatus: boolean;
  tries: number;
  backoff: BackoffOptions;
  timeout: number;
  limits: { maxBodyBytes: number; maxHeaderBytes: number };
  callback: { timeout: number; retryDelays: number[]; allowedHosts: string[]; httpsOnly: boolean };
  secret: string;
  previousSecrets: string[];
  worker: { enabled: boolean; queues: string[]; concurrency: number; gracePeriod: number };
  /** Undefined: metrics off. */
  metrics?: ResolvedMetricsOptions;
  tracing: boolean;
  /** Null when the dashboard is off. */
  dashboard: ResolvedDashboardOptions | null;
  /** Flow control per queue (lib/flow), checked. */
  flow: Record<string, FlowOptions>;
}

// Also exported from here, where it was declared before it moved to lib/core/errors.ts.
export { RequestQueueConfigError };

const HOUR = 60 * 60 * 1000;

/** The header of the correlation id unless `correlationHeader` says otherwise (README "HTTP contract"). */
export const DEFAULT_CORRELATION_HEADER = 'X-Correlation-ID';

/** The header of the correlation id in the Idempotency-Key mode, unless `correlationHeader` says otherwise. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Where status resources live unless `statusPath` says otherwise (README "Where is my request?"). */
export const DEFAULT_STATUS_PATH = '/request-queue/requests';

export const DEFAULT_CALLBACK_RETRY_DELAYS = [5_000, 5 * 60_000, 30 * 60_000, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];

/** Applies defaults and checks every setting once, at startup. */
export function resolveOptions(
  options: RequestQueueModuleOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedOptions {
  const driver = options.driver ?? 'redis';
  if (driver !== 'redis' && driver !== 'database') {
    throw new RequestQueueConfigError(`driver must be 'redis' or 'database' (got '${String(driver)}')`);
  }
  if ((!options.secret || options.secret === DEVELOPMENT_SECRET) && env.NODE_ENV === 'production') {
    throw new RequestQueueConfigError('secret is required when NODE_ENV=production (set REQUEST_QUEUE_SECRET)');
  }
  if (options.baseUrl !== undefined) {
    try {
      new URL(options.baseUrl);
    } catch {
      throw new RequestQueueConfigError(`baseUrl must be an absolute URL (got '${options.baseUrl}')`);
    }
    if (!/^https?:$/.test(new URL(options.baseUrl).protocol)) {
      throw new RequestQueueConfigError(
        `baseUrl must be an http: or https: URL, where the worker replays requests (got '${options.baseUrl}')`,
      );
    }
  }
  const queue = queueName('queue', nonEmptyString('queue', options.queue ?? 'api:request'));
  const timeout = positiveInt('timeout', options.timeout ?? 30_000);
  const enabled = flag('worker.enabled', options.worker?.enabled, false);
  const idempotencyKey = flag('idempotencyKey', options.idempotencyKey, false);
  const correlationTtl = positiveInt('correlationTtl', options.correlationTtl ?? 24 * HOUR);
  if (enabled && !options.baseUrl) {
    throw new RequestQueueConfigError('baseUrl is required to run a worker (where should requests be replayed?)');
  }
  const backoff = options.backoff ?? { type: 'exponential', delay: 1000 };
  if (backoff.type !== 'fixed' && backoff.type !== 'exponential') {
    throw new RequestQueueConfigError(`backoff.type must be 'fixed' or 'exponential'`);
  }
  delayMs('backoff.delay', backoff.delay);
  if (options.worker?.queues !== undefined) stringList('worker.queues', options.worker.queues, 'queue names', 'queue');
  const callbackTimeout = positiveInt('callback.timeout', options.callback?.timeout ?? 15_000);
  const database = resolveDatabaseOptions(
    options.database ?? {},
    longestAttempt(timeout, callbackTimeout),
    driver === 'database',
  );
  return {
    driver,
    baseUrl: options.baseUrl,
    queue,
    methods: httpMethods(options.methods ?? ['PATCH', 'PUT', 'DELETE']),
    redis: resolveRedisOptions(options.redis ?? {}, driver === 'redis'),
    database,
    correlationTtl,
    correlationHeader: headerName(
      'correlationHeader',
      options.correlationHeader ?? (idempotencyKey ? IDEMPOTENCY_KEY_HEADER : DEFAULT_CORRELATION_HEADER),
    ),
    claimSynchronousRequests: flag('claimSynchronousRequests', options.claimSynchronousRequests, true),
    idempotencyKey,
    statusTtl: positiveInt('statusTtl', options.statusTtl ?? correlationTtl),
    statusPath: statusPath(options.statusPath ?? DEFAULT_STATUS_PATH, DEFAULT_STATUS_PATH),
    serveStatus: flag('serveStatus', options.serveStatus, true),
    tries: positiveInt('tries', options.tries ?? 3),
    backoff,
    timeout,
    limits: {
      maxBodyBytes: positiveInt('limits.maxBodyBytes', options.limits?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
      maxHeaderBytes: positiveInt('limits.maxHeaderBytes', options.limits?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES),
    },
    callback: {
      timeout: callbackTimeout,
      retryDelays: retryDelays(options.callback?.retryDelays ?? DEFAULT_CALLBACK_RETRY_DELAYS),
      allowedHosts: stringList('callback.allowedHosts', options.callback?.allowedHosts ?? [], 'host names'),
      httpsOnly: flag('callback.httpsOnly', options.callback?.httpsOnly, false),
    },
    secret: options.secret === undefined ? DEVELOPMENT_SECRET : nonEmptyString('secret', options.secret),
    previousSecrets: stringList('previousSecrets', options.previousSecrets ?? [], 'non-empty strings'),
    worker: {
      enabled,
      queues: (options.worker?.queues ?? [queue]).map((q) => queueName('worker.queues', q)),
      concurrency: positiveInt('worker.concurrency', options.worker?.concurrency ?? 5),
      gracePeriod: gracePeriod(timeout, callbackTimeout, configuredGrace(options.worker?.gracePeriod)),
    },
    ...observabilityOptions(options),
    dashboard: resolveDashboardOptions(options.dashboard, env, (message) => new RequestQueueConfigError(message)),
    flow: resolveQueueFlow(options.flow ?? {}),
  };
}

// Metrics and tracing (README).

/** Prefix of metric names unless `metrics.prefix` says otherwise. */
export const DEFAULT_METRICS_PREFIX = 'request_queue_';

/** A Prometheus metric name prefix: letters, digits, `_` and `:`, not starting with a digit. */
const METRICS_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function observabilityOptions(options: RequestQueueModuleOptions): Pick<ResolvedOptions, 'metrics' | 'tracing'> {
  const tracing = flag('tracing', options.tracing, true);
  const given = options.metrics;
  if (given === undefined) return { tracing };
  if (typeof given !== 'object' || given === null) {
    throw new RequestQueueConfigError(`metrics must be an object of options, e.g. {} or { endpoint: '/metrics' }`);
  }
  const prefix = given.prefix ?? DEFAULT_METRICS_PREFIX;
  if (typeof prefix !== 'string' || !METRICS_PREFIX.test(prefix)) {
    throw new RequestQueueConfigError(
      `metrics.prefix must be letters, digits, '_' or ':', not starting with a digit, e.g. '${DEFAULT_METRICS_PREFIX}' (got ${JSON.stringify(prefix)})`,
    );
  }
  const endpoint = given.endpoint ?? false;
  if (endpoint !== false && !isPlainPath(endpoint)) {
    throw new RequestQueueConfigError(
      `metrics.endpoint must be false or an absolute path of plain segments, e.g. '/metrics' (got ${JSON.stringify(endpoint)})`,
    );
  }
  return { tracing, metrics: { registry: given.registry, prefix, endpoint } };
}

/** Checks the per-queue flow control options (lib/flow); a bad number is a config error naming it. */
function resolveQueueFlow(flow: Record<string, FlowOptions>): Record<string, FlowOptions> {
  for (const [queue, options] of Object.entries(flow)) {
    try {
      if (options.throttle) checkThrottle(options.throttle, `flow['${queue}']`);
      if (options.funnel) checkFunnel(options.funnel, `flow['${queue}']`);
    } catch (err) {
      throw new RequestQueueConfigError((err as Error).message);
    }
  }
  return flow;
}
