import type { CanActivate, Type } from '@nestjs/common';

/** Where the dashboard lives unless `dashboard.path` says otherwise. */
export const DEFAULT_DASHBOARD_PATH = '/request-queue/dashboard';

/**
 * The operator's dashboard (README): off unless this object is given, and then it must be
 * protected, by the app's own guards, by HTTP basic auth, or both.
 */
export interface DashboardOptions {
  /** Where the page is served, outside the app's global prefix [`'/request-queue/dashboard'`]. */
  path?: string;
  /**
   * Guards that must all let a request through, run for every page and API call with an
   * execution context for that request (as `@UseGuards()` would): instances, or classes
   * resolved from the app's providers (or created with their dependencies injected).
   * The app's global guards do not apply to the dashboard's routes: list them here.
   */
  guards?: (CanActivate | Type<CanActivate>)[];
  /** HTTP basic auth credentials (checked in constant time). With `guards`, both must pass. */
  basicAuth?: { username: string; password: string };
  /**
   * Serve it without guards or credentials: only for a local demo. Refused when
   * `NODE_ENV=production` [false].
   */
  allowUnprotected?: boolean;
}

/** The dashboard's options once checked; `null` in `ResolvedOptions` when it is off. */
export interface ResolvedDashboardOptions {
  path: string;
  guards: (CanActivate | Type<CanActivate>)[];
  basicAuth: { username: string; password: string } | null;
  allowUnprotected: boolean;
}

/** A path of literal segments: `/a/b-c`, no parameters, wildcards, query or trailing slash. */
const PLAIN_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Checks `dashboard` once at startup; `fail` builds the library's config error (passed in,
 * so this file does not import the options module that imports it).
 */
export function resolveDashboardOptions(
  options: DashboardOptions | undefined,
  env: NodeJS.ProcessEnv,
  fail: (message: string) => Error,
): ResolvedDashboardOptions | null {
  if (options === undefined) return null;
  if (options === null || typeof options !== 'object') {
    throw fail(`dashboard must be an object such as { basicAuth: { username, password } } (got ${String(options)})`);
  }
  const path = options.path ?? DEFAULT_DASHBOARD_PATH;
  if (typeof path !== 'string' || !PLAIN_PATH.test(path)) {
    throw fail(
      `dashboard.path must be an absolute path of plain segments (letters, digits, '.', '_', '~', '-'), without a trailing slash, e.g. '${DEFAULT_DASHBOARD_PATH}' (got ${JSON.stringify(path)})`,
    );
  }
  const guards = options.guards ?? [];
  if (!Array.isArray(guards) || guards.some((g) => !isGuard(g))) {
    throw fail('dashboard.guards must be a list of guard classes or instances (objects with canActivate())');
  }
  const basicAuth = options.basicAuth ?? null;
  if (basicAuth !== null) {
    if (typeof basicAuth.username !== 'string' || !basicAuth.username || basicAuth.username.includes(':')) {
      throw fail('dashboard.basicAuth.username must be a non-empty string without ":"');
    }
    if (typeof basicAuth.password !== 'string' || !basicAuth.password) {
      throw fail('dashboard.basicAuth.password must be a non-empty string');
    }
  }
  const allowUnprotected = options.allowUnprotected ?? false;
  if (typeof allowUnprotected !== 'boolean') {
    throw fail(`dashboard.allowUnprotected must be true or false (got ${JSON.stringify(allowUnprotected)})`);
  }
  if (allowUnprotected && env.NODE_ENV === 'production') {
    throw fail(
      'dashboard.allowUnprotected is refused when NODE_ENV=production: remove it and protect the dashboard with dashboard.guards or dashboard.basicAuth',
    );
  }
  if (guards.length === 0 && basicAuth === null && !allowUnprotected) {
    throw fail(
      'dashboard needs protection: give dashboard.guards (your app guard, e.g. guards: [AdminGuard]) or dashboard.basicAuth ({ username, password })',
    );
  }
  return { path, guards: [...guards], basicAuth, allowUnprotected };
}

function isGuard(value: unknown): value is CanActivate | Type<CanActivate> {
  if (typeof value === 'function') return true;
  return typeof value === 'object' && value !== null && typeof (value as CanActivate).canActivate === 'function';
}
