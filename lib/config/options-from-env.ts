import type { RequestQueueModuleOptions } from '../request-queue.options.js';
import { RequestQueueConfigError } from '../core/errors.js';
import type { DashboardOptions } from '../dashboard/dashboard.options.js';

/** One environment variable the library reads: what it sets, and what applies when it is unset. */
export interface EnvVariable {
  name: string;
  meaning: string;
  /** What applies when the variable is unset (the module's own default, never another). */
  unset: string;
}

/**
 * Every variable `requestQueueOptionsFromEnv()` reads, for `request-queue --help` and the
 * README. An unset variable leaves the option to the module's default, so options built
 * from the environment mean what the same options given to `forRoot()` mean.
 */
export const REQUEST_QUEUE_ENV: readonly EnvVariable[] = [
  { name: 'REQUEST_QUEUE_CONFIG', meaning: 'the configuration file, as --config', unset: 'none' },
  { name: 'REQUEST_QUEUE_DRIVER', meaning: "'redis' or 'database'", unset: "'redis' (required by the command)" },
  { name: 'REDIS_URL', meaning: 'redis driver connection', unset: 'redis://127.0.0.1:6379' },
  { name: 'REQUEST_QUEUE_REDIS_PREFIX', meaning: "Bull's key prefix (to share one Redis)", unset: 'bull' },
  // Redis Cluster (docs/redis-cluster.md)
  {
    name: 'REDIS_CLUSTER_NODES',
    meaning: 'Redis Cluster nodes, comma-separated host:port (instead of REDIS_URL; the prefix needs a {hash tag})',
    unset: 'none (one Redis at REDIS_URL)',
  },
  {
    name: 'DATABASE_URL',
    meaning: 'database driver connection: mysql://, mariadb://, postgres://, sqlite:<file>',
    unset: 'none (required with the database driver)',
  },
  {
    name: 'REQUEST_QUEUE_BASE_URL',
    meaning: 'where workers replay requests',
    unset: 'http://127.0.0.1:$PORT when PORT is set, else none',
  },
  {
    name: 'REQUEST_QUEUE_SECRET',
    meaning: 'signing and encryption key',
    unset: 'development key (refused in production)',
  },
  { name: 'REQUEST_QUEUE_PREVIOUS_SECRETS', meaning: 'older secrets, comma-separated', unset: 'none' },
  { name: 'REQUEST_QUEUE_QUEUE', meaning: 'default queue name', unset: 'api:request' },
  {
    name: 'REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS',
    meaning: 'private callback hosts allowed, comma-separated host or host:port',
    unset: 'none',
  },
  { name: 'REQUEST_QUEUE_CALLBACK_HTTPS_ONLY', meaning: "'true' refuses http: callback URLs", unset: 'false' },
  { name: 'REQUEST_QUEUE_CORRELATION_HEADER', meaning: 'header of the correlation id', unset: 'X-Correlation-ID' },
  {
    name: 'REQUEST_QUEUE_CLAIM_SYNCHRONOUS_REQUESTS',
    meaning: "'false': requests without callback parameters never claim their id",
    unset: 'true',
  },
  {
    name: 'REQUEST_QUEUE_IDEMPOTENCY_KEY',
    meaning: "'true': Idempotency-Key mode (a retried request gets its first answer again)",
    unset: 'false',
  },
  {
    name: 'REQUEST_QUEUE_STATUS_TTL',
    meaning: 'ms a status resource stays readable after the outcome',
    unset: 'the correlation TTL (24 h)',
  },
  { name: 'REQUEST_QUEUE_STATUS_PATH', meaning: 'where status resources live', unset: '/request-queue/requests' },
  {
    name: 'REQUEST_QUEUE_SERVE_STATUS',
    meaning: "'false': the module does not serve the status resources itself",
    unset: 'true',
  },
  // Replay and callback schedule, and the lease (issue 13): see `scheduleFromEnv`.
  { name: 'REQUEST_QUEUE_TRIES', meaning: 'replay attempts per request', unset: '3' },
  {
    name: 'REQUEST_QUEUE_BACKOFF',
    meaning: "delay between replay attempts: 'fixed' or 'exponential', optionally ':<ms>' (exponential:1000)",
    unset: 'exponential:1000',
  },
  { name: 'REQUEST_QUEUE_TIMEOUT', meaning: 'ms one replay attempt may take', unset: '30000' },
  {
    name: 'REQUEST_QUEUE_CALLBACK_RETRY_DELAYS',
    meaning: 'ms between callback delivery attempts, comma-separated (5000,60000,300000)',
    unset: '5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h',
  },
  { name: 'REQUEST_QUEUE_CALLBACK_TIMEOUT', meaning: 'ms one callback delivery attempt may take', unset: '15000' },
  {
    name: 'REQUEST_QUEUE_LEASE',
    meaning: "ms a worker holds a job before a dead worker's job runs again (redis lockDuration, database retryAfter)",
    unset: 'redis 30000; database max(90 s, longest timeout + 30 s)',
  },
  // Metrics and tracing (README).
  { name: 'REQUEST_QUEUE_METRICS', meaning: "'true': Prometheus metrics (needs prom-client)", unset: 'false' },
  {
    name: 'REQUEST_QUEUE_METRICS_PATH',
    meaning: "with metrics on, serve them at this path, e.g. '/metrics'",
    unset: 'not served',
  },
  { name: 'REQUEST_QUEUE_TRACING', meaning: "'false': no spans and no trace context carried", unset: 'true' },
  // The dashboard (README): on when its credentials are set.
  {
    name: 'REQUEST_QUEUE_DASHBOARD_USER',
    meaning: 'dashboard basic auth user; with the password, turns the dashboard on',
    unset: 'dashboard off',
  },
  { name: 'REQUEST_QUEUE_DASHBOARD_PASSWORD', meaning: 'dashboard basic auth password', unset: 'dashboard off' },
  { name: 'REQUEST_QUEUE_DASHBOARD_PATH', meaning: 'where the dashboard is served', unset: '/request-queue/dashboard' },
];

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Module options from environment variables (see `REQUEST_QUEUE_ENV`). Only the variables
 * that are set become options; everything else keeps the module's default, so the API,
 * its workers and the `request-queue` command agree whichever way they are configured.
 */
export function requestQueueOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): RequestQueueModuleOptions {
  const driver = env.REQUEST_QUEUE_DRIVER || undefined;
  if (driver !== undefined && driver !== 'redis' && driver !== 'database') {
    throw new RequestQueueConfigError(`REQUEST_QUEUE_DRIVER must be 'redis' or 'database' (got '${driver}')`);
  }
  const options: RequestQueueModuleOptions = {};
  if (driver) options.driver = driver;
  const baseUrl = env.REQUEST_QUEUE_BASE_URL || (env.PORT ? `http://127.0.0.1:${env.PORT}` : undefined);
  if (baseUrl) options.baseUrl = baseUrl;
  if (env.REQUEST_QUEUE_QUEUE) options.queue = env.REQUEST_QUEUE_QUEUE;
  if (env.REDIS_URL || env.REQUEST_QUEUE_REDIS_PREFIX) {
    options.redis = {
      ...(env.REDIS_URL && { url: env.REDIS_URL }),
      ...(env.REQUEST_QUEUE_REDIS_PREFIX && { prefix: env.REQUEST_QUEUE_REDIS_PREFIX }),
    };
  }
  // Redis Cluster: seed nodes instead of one Redis (resolveRedisOptions checks the prefix).
  const clusterNodes = list(env.REDIS_CLUSTER_NODES);
  if (clusterNodes.length) options.redis = { ...options.redis, cluster: { nodes: clusterNodes.map(clusterNode) } };
  if (env.DATABASE_URL) options.database = { url: env.DATABASE_URL };
  if (env.REQUEST_QUEUE_SECRET) options.secret = env.REQUEST_QUEUE_SECRET;
  const previous = list(env.REQUEST_QUEUE_PREVIOUS_SECRETS);
  if (previous.length) options.previousSecrets = previous;
  const allowedHosts = list(env.REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS);
  const httpsOnly = flag(env, 'REQUEST_QUEUE_CALLBACK_HTTPS_ONLY');
  if (env.REQUEST_QUEUE_CORRELATION_HEADER) options.correlationHeader = env.REQUEST_QUEUE_CORRELATION_HEADER;
  const claimSync = flag(env, 'REQUEST_QUEUE_CLAIM_SYNCHRONOUS_REQUESTS');
  if (claimSync !== undefined) options.claimSynchronousRequests = claimSync;
  const idempotencyKey = flag(env, 'REQUEST_QUEUE_IDEMPOTENCY_KEY');
  if (idempotencyKey !== undefined) options.idempotencyKey = idempotencyKey;
  if (env.REQUEST_QUEUE_STATUS_TTL) options.statusTtl = milliseconds(env, 'REQUEST_QUEUE_STATUS_TTL');
  if (env.REQUEST_QUEUE_STATUS_PATH) options.statusPath = env.REQUEST_QUEUE_STATUS_PATH;
  const serveStatus = flag(env, 'REQUEST_QUEUE_SERVE_STATUS');
  if (serveStatus !== undefined) options.serveStatus = serveStatus;
  if (allowedHosts.length || httpsOnly !== undefined) {
    options.callback = {
      ...(allowedHosts.length && { allowedHosts }),
      ...(httpsOnly !== undefined && { httpsOnly }),
    };
  }
  scheduleFromEnv(env, options);
  Object.assign(options, observabilityFromEnv(env));
  const dashboard = dashboardFromEnv(env);
  if (dashboard) options.dashboard = dashboard;
  return options;
}

// Metrics and tracing (README).
function observabilityFromEnv(env: NodeJS.ProcessEnv): Pick<RequestQueueModuleOptions, 'metrics' | 'tracing'> {
  const options: Pick<RequestQueueModuleOptions, 'metrics' | 'tracing'> = {};
  if (flag(env, 'REQUEST_QUEUE_METRICS')) {
    options.metrics = env.REQUEST_QUEUE_METRICS_PATH ? { endpoint: env.REQUEST_QUEUE_METRICS_PATH } : {};
  }
  const tracing = flag(env, 'REQUEST_QUEUE_TRACING');
  if (tracing !== undefined) options.tracing = tracing;
  return options;
}

/** One `host:port` of REDIS_CLUSTER_NODES. */
function clusterNode(value: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  if (!match || Number(match[2]) > 65535) {
    throw new RequestQueueConfigError(`REDIS_CLUSTER_NODES must list host:port entries (got '${value}')`);
  }
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]) };
}

/**
 * The replay and callback schedule and the lease, so operators of the sample app and the
 * command can tune them (issue 13): `REQUEST_QUEUE_TRIES`, `_BACKOFF`, `_TIMEOUT`,
 * `_CALLBACK_RETRY_DELAYS`, `_CALLBACK_TIMEOUT`, `_LEASE` (both drivers' lease).
 */
function scheduleFromEnv(env: NodeJS.ProcessEnv, options: RequestQueueModuleOptions): void {
  if (env.REQUEST_QUEUE_TRIES) options.tries = positive(env, 'REQUEST_QUEUE_TRIES');
  if (env.REQUEST_QUEUE_BACKOFF) options.backoff = backoff(env, 'REQUEST_QUEUE_BACKOFF');
  if (env.REQUEST_QUEUE_TIMEOUT) options.timeout = positive(env, 'REQUEST_QUEUE_TIMEOUT');
  if (env.REQUEST_QUEUE_CALLBACK_RETRY_DELAYS) {
    options.callback = { ...options.callback, retryDelays: delays(env, 'REQUEST_QUEUE_CALLBACK_RETRY_DELAYS') };
  }
  if (env.REQUEST_QUEUE_CALLBACK_TIMEOUT) {
    options.callback = { ...options.callback, timeout: positive(env, 'REQUEST_QUEUE_CALLBACK_TIMEOUT') };
  }
  if (env.REQUEST_QUEUE_LEASE) {
    const lease = positive(env, 'REQUEST_QUEUE_LEASE');
    options.redis = { ...options.redis, lockDuration: lease };
    options.database = { ...options.database, retryAfter: lease };
  }
}

/** A whole number of milliseconds, at least 1 (`tries` too: a whole number, at least 1). */
function positive(env: NodeJS.ProcessEnv, name: string): number {
  const value = milliseconds(env, name);
  if (value < 1) throw new RequestQueueConfigError(`${name} must be at least 1 (got '${env[name]}')`);
  return value;
}

/** `fixed` or `exponential`, optionally with `:<ms>` (the first delay) [1000]. */
function backoff(env: NodeJS.ProcessEnv, name: string): NonNullable<RequestQueueModuleOptions['backoff']> {
  const value = env[name]!;
  const match = /^(fixed|exponential)(?::(\d+))?$/.exec(value.trim());
  if (!match) {
    throw new RequestQueueConfigError(
      `${name} must be 'fixed' or 'exponential', optionally with ':<ms>' such as 'exponential:1000' (got '${value}')`,
    );
  }
  return { type: match[1] as 'fixed' | 'exponential', delay: match[2] === undefined ? 1000 : Number(match[2]) };
}

/** Comma-separated whole numbers of milliseconds (`5000,60000,300000`). */
function delays(env: NodeJS.ProcessEnv, name: string): number[] {
  const value = env[name]!;
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((part) => !/^\d+$/.test(part))) {
    throw new RequestQueueConfigError(
      `${name} must be whole numbers of milliseconds separated by commas, such as '5000,60000,300000' (got '${value}')`,
    );
  }
  return parts.map(Number);
}

/**
 * The dashboard, protected by basic auth, when `REQUEST_QUEUE_DASHBOARD_USER` and
 * `REQUEST_QUEUE_DASHBOARD_PASSWORD` are both set (one without the other is an error);
 * guards are given in code (`dashboard.guards`), not here.
 */
function dashboardFromEnv(env: NodeJS.ProcessEnv): DashboardOptions | undefined {
  const username = env.REQUEST_QUEUE_DASHBOARD_USER || undefined;
  const password = env.REQUEST_QUEUE_DASHBOARD_PASSWORD || undefined;
  const path = env.REQUEST_QUEUE_DASHBOARD_PATH || undefined;
  if (!username && !password) {
    if (path) {
      throw new RequestQueueConfigError(
        'REQUEST_QUEUE_DASHBOARD_PATH is set but the dashboard is off: set REQUEST_QUEUE_DASHBOARD_USER and REQUEST_QUEUE_DASHBOARD_PASSWORD to turn it on',
      );
    }
    return undefined;
  }
  if (!username || !password) {
    throw new RequestQueueConfigError(
      `REQUEST_QUEUE_DASHBOARD_USER and REQUEST_QUEUE_DASHBOARD_PASSWORD go together (only ${username ? 'the user' : 'the password'} is set)`,
    );
  }
  return { ...(path && { path }), basicAuth: { username, password } };
}

/** A whole number of milliseconds. */
function milliseconds(env: NodeJS.ProcessEnv, name: string): number {
  const value = env[name]!;
  if (!/^\d+$/.test(value)) {
    throw new RequestQueueConfigError(`${name} must be a whole number of milliseconds (got '${value}')`);
  }
  return Number(value);
}

/** A `true`/`false` variable; undefined when unset or empty. */
function flag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (value !== 'true' && value !== 'false') {
    throw new RequestQueueConfigError(`${name} must be 'true' or 'false' (got '${value}')`);
  }
  return value === 'true';
}
