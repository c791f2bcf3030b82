import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../request-queue.options.js';
import { mergeRequestQueueOptions } from './merge-options.js';
import { requestQueueOptionsFromEnv } from './options-from-env.js';

describe('mergeRequestQueueOptions', () => {
  it('merges the environment into nested option groups instead of replacing them', () => {
    const code = {
      driver: 'database' as const,
      database: { url: 'sqlite::memory:', migrationsRun: true },
      callback: { allowedHosts: ['hooks.example.com'], timeout: 2000 },
    };
    const env = requestQueueOptionsFromEnv({ REQUEST_QUEUE_LEASE: '120000', REQUEST_QUEUE_CALLBACK_TIMEOUT: '9000' });
    const merged = mergeRequestQueueOptions(code, env);
    expect(merged.database).toEqual({ url: 'sqlite::memory:', migrationsRun: true, retryAfter: 120000 });
    expect(merged.callback).toEqual({ allowedHosts: ['hooks.example.com'], timeout: 9000 });
    // The plain spread the README used to show loses the code's url and hosts.
    expect({ ...code, ...env }.database).toEqual({ retryAfter: 120000 });
    const resolved = resolveOptions({ ...merged, secret: 'a-secret-of-at-least-32-characters-long' });
    expect(resolved.database?.url).toBe('sqlite::memory:');
    expect(resolved.callback.allowedHosts).toEqual(['hooks.example.com']);
  });

  it('replaces lists and class instances, keeps what a later layer leaves undefined, and copies', () => {
    class Client {
      constructor(readonly name: string) {}
    }
    const first = { callback: { allowedHosts: ['a', 'b'] }, redis: { client: new Client('one'), prefix: 'x' } };
    const second = {
      callback: { allowedHosts: ['c'] },
      redis: { client: new Client('two') },
      queue: undefined,
    } as unknown as Parameters<typeof mergeRequestQueueOptions>[0];
    const merged = mergeRequestQueueOptions({ queue: 'emails' }, first, second, undefined);
    expect(merged.callback?.allowedHosts).toEqual(['c']);
    expect(merged.queue).toBe('emails');
    const redis = merged.redis as unknown as { client: Client; prefix: string };
    expect(redis.client).toBeInstanceOf(Client);
    expect(redis.client.name).toBe('two');
    expect(redis.prefix).toBe('x');
    expect(first.callback.allowedHosts).toEqual(['a', 'b']); // the layers are left as they were
  });
});
