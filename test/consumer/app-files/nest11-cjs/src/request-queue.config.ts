import type { RequestQueueModuleOptions } from 'nestjs-request-queue';

/**
 * The request queue's options in one place: the API (app.module.ts), the worker (worker.ts)
 * and the `request-queue` command (`--config dist/request-queue.config.js`) all read them,
 * so they never disagree.
 */
export default function requestQueueConfig(): RequestQueueModuleOptions {
  return {
    driver: 'redis',
    baseUrl: `http://127.0.0.1:${process.env.PORT ?? 3000}`,
    redis: {
      url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: process.env.APP_QUEUE_PREFIX ?? 'my-app',
    },
    secret: process.env.REQUEST_QUEUE_SECRET,
    callback: {
      allowedHosts: (process.env.CALLBACK_ALLOWED_HOSTS ?? '').split(',').filter(Boolean),
    },
  };
}
