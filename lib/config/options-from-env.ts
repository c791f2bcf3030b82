import type { RequestQueueModuleOptions } from '../request-queue.options.js';
import { RequestQueueConfigError } from '../request-queue.options.js';

/**
 * The environment variables the sample app and the `request-queue` command read (SPEC §7),
 * as module options. `PORT` [3000], `REQUEST_QUEUE_DRIVER` [`database`], `REDIS_URL`,
 * `DATABASE_URL` [`sqlite:./var/request-queue.sqlite`; also `mysql://…`, `mariadb://…`, `postgres://…`],
 * `REQUEST_QUEUE_BASE_URL` [`http://127.0.0.1:$PORT`], `REQUEST_QUEUE_SECRET`,
 * `REQUEST_QUEUE_QUEUE` [`api:request`], `REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS` (comma-separated),
 * `REQUEST_QUEUE_REDIS_PREFIX` (Bull's key prefix, to share one Redis between apps) [`bull`],
 * `REQUEST_QUEUE_CALLBACK_HTTPS_ONLY` (`true` refuses `http:` callback URLs) [`false`].
 */
export function requestQueueOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): RequestQueueModuleOptions {
  const port = env.PORT ?? '3000';
  const driver = env.REQUEST_QUEUE_DRIVER || 'database';
  if (driver !== 'redis' && driver !== 'database') {
    throw new RequestQueueConfigError(`REQUEST_QUEUE_DRIVER must be 'redis' or 'database' (got '${driver}')`);
  }
  const list = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return {
    driver,
    baseUrl: env.REQUEST_QUEUE_BASE_URL ?? `http://127.0.0.1:${port}`,
    queue: env.REQUEST_QUEUE_QUEUE || undefined,
    redis: { url: env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: env.REQUEST_QUEUE_REDIS_PREFIX || undefined },
    database: { url: env.DATABASE_URL || 'sqlite:./var/request-queue.sqlite' },
    secret: env.REQUEST_QUEUE_SECRET || undefined,
    previousSecrets: list(env.REQUEST_QUEUE_PREVIOUS_SECRETS),
    callback: {
      allowedHosts: list(env.REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS),
      httpsOnly: env.REQUEST_QUEUE_CALLBACK_HTTPS_ONLY === 'true',
    },
  };
}
