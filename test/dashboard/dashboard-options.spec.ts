import { Injectable, type CanActivate } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DASHBOARD_PATH,
  REQUEST_QUEUE_ENV,
  RequestQueueConfigError,
  requestQueueOptionsFromEnv,
  resolveOptions,
} from '../../lib/index.js';
import sampleAppOptions from '../../sample-app/request-queue.config.js';

@Injectable()
class AdminGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

const basicAuth = { username: 'ops', password: 'secret-password' };
const dev = { NODE_ENV: 'development' };
const production = { NODE_ENV: 'production' };
const secret = 'a-production-secret';

describe('dashboard options', () => {
  it('is off unless given', () => {
    expect(resolveOptions({}, dev).dashboard).toBeNull();
  });

  it('takes guards (classes or instances) or basic auth, with the default path', () => {
    expect(resolveOptions({ dashboard: { guards: [AdminGuard] } }, dev).dashboard).toEqual({
      path: DEFAULT_DASHBOARD_PATH,
      guards: [AdminGuard],
      basicAuth: null,
      allowUnprotected: false,
    });
    const instance = new AdminGuard();
    expect(resolveOptions({ dashboard: { guards: [instance], basicAuth, path: '/ops/q' } }, dev).dashboard).toEqual({
      path: '/ops/q',
      guards: [instance],
      basicAuth,
      allowUnprotected: false,
    });
  });

  it('refuses to serve it unprotected, naming the fix', () => {
    expect(() => resolveOptions({ dashboard: {} }, dev)).toThrow(RequestQueueConfigError);
    expect(() => resolveOptions({ dashboard: { guards: [] } }, dev)).toThrow(
      /dashboard\.guards .*dashboard\.basicAuth/,
    );
    expect(resolveOptions({ dashboard: { allowUnprotected: true } }, dev).dashboard).toMatchObject({
      allowUnprotected: true,
      guards: [],
      basicAuth: null,
    });
  });

  it('refuses allowUnprotected when NODE_ENV=production, saying what to use instead', () => {
    expect(() => resolveOptions({ secret, dashboard: { allowUnprotected: true } }, production)).toThrow(
      /allowUnprotected is refused when NODE_ENV=production.*dashboard\.guards or dashboard\.basicAuth/,
    );
    expect(() => resolveOptions({ secret, dashboard: { allowUnprotected: true, basicAuth } }, production)).toThrow(
      /allowUnprotected/,
    );
    expect(resolveOptions({ secret, dashboard: { basicAuth } }, production).dashboard?.basicAuth).toEqual(basicAuth);
  });

  it.each([
    [{ path: 'no-slash', basicAuth }, /dashboard\.path/],
    [{ path: '/trailing/', basicAuth }, /dashboard\.path/],
    [{ path: '/with/:param', basicAuth }, /dashboard\.path/],
    [{ basicAuth: { username: '', password: 'x' } }, /basicAuth\.username/],
    [{ basicAuth: { username: 'a:b', password: 'x' } }, /basicAuth\.username/],
    [{ basicAuth: { username: 'ops', password: '' } }, /basicAuth\.password/],
    [{ guards: [{}] }, /dashboard\.guards/],
    [{ basicAuth, allowUnprotected: 'yes' }, /allowUnprotected/],
  ])('names the bad setting: %j', (dashboard, message) => {
    expect(() => resolveOptions({ dashboard } as never, dev)).toThrow(message);
  });
});

describe('dashboard from the environment', () => {
  it('turns it on with basic auth when the user and password are set', () => {
    expect(
      requestQueueOptionsFromEnv({ REQUEST_QUEUE_DASHBOARD_USER: 'ops', REQUEST_QUEUE_DASHBOARD_PASSWORD: 'pw' }),
    ).toEqual({ dashboard: { basicAuth: { username: 'ops', password: 'pw' } } });
    expect(
      requestQueueOptionsFromEnv({
        REQUEST_QUEUE_DASHBOARD_USER: 'ops',
        REQUEST_QUEUE_DASHBOARD_PASSWORD: 'pw',
        REQUEST_QUEUE_DASHBOARD_PATH: '/ops',
      }).dashboard,
    ).toEqual({ path: '/ops', basicAuth: { username: 'ops', password: 'pw' } });
    expect(requestQueueOptionsFromEnv({}).dashboard).toBeUndefined();
  });

  it('refuses half a configuration', () => {
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_DASHBOARD_USER: 'ops' })).toThrow(/go together/);
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_DASHBOARD_PASSWORD: 'pw' })).toThrow(/go together/);
    expect(() => requestQueueOptionsFromEnv({ REQUEST_QUEUE_DASHBOARD_PATH: '/ops' })).toThrow(
      /REQUEST_QUEUE_DASHBOARD_USER and REQUEST_QUEUE_DASHBOARD_PASSWORD/,
    );
  });

  it('lists its variables for --help', () => {
    const names = REQUEST_QUEUE_ENV.map((v) => v.name);
    for (const name of [
      'REQUEST_QUEUE_DASHBOARD_USER',
      'REQUEST_QUEUE_DASHBOARD_PASSWORD',
      'REQUEST_QUEUE_DASHBOARD_PATH',
    ])
      expect(names).toContain(name);
  });

  it('is what the sample app enables', () => {
    const options = sampleAppOptions({ REQUEST_QUEUE_DASHBOARD_USER: 'ops', REQUEST_QUEUE_DASHBOARD_PASSWORD: 'pw' });
    expect(resolveOptions(options, dev).dashboard).toMatchObject({
      path: DEFAULT_DASHBOARD_PATH,
      basicAuth: { username: 'ops', password: 'pw' },
    });
    expect(sampleAppOptions({}).dashboard).toBeUndefined();
  });
});
