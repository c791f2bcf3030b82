import { describe, expect, it } from 'vitest';
import { RequestQueueConfigError } from '../request-queue.options.js';
import { requestQueueOptionsFromEnv } from './options-from-env.js';

describe('requestQueueOptionsFromEnv', () => {
  it('defaults to the database driver on embedded SQLite, replaying against 127.0.0.1:$PORT', () => {
    expect(requestQueueOptionsFromEnv({ PORT: '4000' })).toMatchObject({
      driver: 'database',
      baseUrl: 'http://127.0.0.1:4000',
      database: { url: 'sqlite:./var/request-queue.sqlite' },
      redis: { url: 'redis://127.0.0.1:6379' },
      callback: { allowedHosts: [], httpsOnly: false },
    });
  });

  it('reads every variable of SPEC §7', () => {
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
    });
  });

  it('names a bad driver', () => {
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_DRIVER: 'mongo' })).toThrow(RequestQueueConfigError);
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_DRIVER: 'mongo' })).toThrow(/REQUEST_QUEUE_DRIVER/);
  });
});
