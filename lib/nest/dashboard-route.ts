import type { Logger } from '@nestjs/common';
import type { AbstractHttpAdapter, ModuleRef } from '@nestjs/core';
import {
  failedJobs,
  forgetJob,
  overview,
  requestTimeline,
  retryJob,
  retryQueue,
  type ApiAnswer,
} from '../dashboard/dashboard-api.js';
import {
  BASIC_REALM,
  checkBasicAuth,
  csrfRefusal,
  csrfToken,
  newNonce,
  nonceCookie,
  visitorIdentity,
  type Headers,
} from '../dashboard/dashboard-auth.js';
import type { ResolvedDashboardOptions } from '../dashboard/dashboard.options.js';
import { renderDashboardPage } from '../dashboard/page/dashboard-page.html.js';
import { StoreUnavailableError, type RequestQueueStore } from '../store/request-queue.store.js';
import { DashboardGuards, type DashboardHandler } from './dashboard-guards.js';

/** The fields Express and Fastify requests share that the dashboard reads. */
interface DashboardRequest {
  headers: Headers;
  query?: Record<string, unknown>;
  socket?: { encrypted?: boolean };
}

type Query = Record<string, unknown>;

/** One answer for every visitor the protection turns away: nothing about the queues. */
const UNAUTHORIZED = { statusCode: 401, error: 'Unauthorized', message: 'credentials required' };

const SECURITY_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

export interface DashboardServeOptions {
  dashboard: ResolvedDashboardOptions;
  store: RequestQueueStore;
  /** The module's secret: the key of the page's anti-forgery tokens. */
  secret: string;
  moduleRef: ModuleRef;
  logger: Logger;
}

/**
 * Serves the dashboard (README "Dashboard") straight on the HTTP adapter (Express or Fastify), outside
 * the app's global prefix, guards and interceptors, like the status resources: the page at
 * `<path>`, its JSON reads at `<path>/api/*` (GET) and its actions (POST, with the page's
 * token). Every request first passes basic auth and the configured guards, in that order.
 */
export function serveDashboard(adapter: AbstractHttpAdapter, o: DashboardServeOptions): void {
  const { path, basicAuth } = o.dashboard;
  const guards = new DashboardGuards(o.dashboard.guards, o.moduleRef);

  /** The visitor's identity once basic auth and the guards let them in; null when already answered. */
  async function admit(req: DashboardRequest, res: unknown, handler: DashboardHandler): Promise<string | null> {
    let basicUser: string | null = null;
    if (basicAuth) {
      basicUser = checkBasicAuth(req.headers, basicAuth);
      if (basicUser === null) {
        adapter.setHeader(res, 'WWW-Authenticate', `Basic realm="${BASIC_REALM}", charset="UTF-8"`);
        adapter.reply(res, UNAUTHORIZED, 401);
        return null;
      }
    }
    if (!guards.empty) {
      const verdict = await guards.check(req, res, handler);
      if (!verdict.pass) {
        adapter.reply(res, verdict.body, verdict.status);
        return null;
      }
    }
    return visitorIdentity(req.headers, basicUser);
  }

  async function answer(res: unknown, run: () => Promise<ApiAnswer>): Promise<void> {
    try {
      const { status, body } = await run();
      adapter.reply(res, body, status);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) {
        o.logger.error(`dashboard: ${(err as Error).message}`);
        adapter.reply(res, { statusCode: 500, error: 'Internal Server Error', message: 'the dashboard failed' }, 500);
        return;
      }
      adapter.setHeader(res, 'Retry-After', '5');
      adapter.reply(
        res,
        { statusCode: 503, error: 'Service Unavailable', message: 'the request queue is unavailable, try again later' },
        503,
      );
    }
  }

  function read(route: string, run: (query: Query) => Promise<ApiAnswer>): void {
    const handler = async (req: DashboardRequest, res: unknown): Promise<unknown> => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) adapter.setHeader(res, name, value);
      if ((await admit(req, res, handler)) === null) return;
      await answer(res, () => run(req.query ?? {}));
    };
    adapter.get(`${path}${route}`, handler);
  }

  function act(route: string, run: (query: Query) => Promise<ApiAnswer>): void {
    const handler = async (req: DashboardRequest, res: unknown): Promise<unknown> => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) adapter.setHeader(res, name, value);
      const identity = await admit(req, res, handler);
      if (identity === null) return;
      const refusal = csrfRefusal(req.headers, o.secret, identity);
      if (refusal) return adapter.reply(res, { statusCode: 403, error: 'Forbidden', message: refusal }, 403);
      await answer(res, () => run(req.query ?? {}));
    };
    adapter.post(`${path}${route}`, handler);
  }

  const page = async (req: DashboardRequest, res: unknown) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) adapter.setHeader(res, name, value);
    const identity = await admit(req, res, page);
    if (identity === null) return;
    const nonce = newNonce();
    const scriptNonce = newNonce();
    const secure = req.socket?.encrypted === true || req.headers['x-forwarded-proto'] === 'https';
    adapter.setHeader(res, 'Set-Cookie', nonceCookie(nonce, path, secure));
    adapter.setHeader(
      res,
      'Content-Security-Policy',
      `default-src 'none'; script-src 'nonce-${scriptNonce}'; style-src 'nonce-${scriptNonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    adapter.setHeader(res, 'Content-Type', 'text/html; charset=utf-8');
    adapter.reply(
      res,
      renderDashboardPage({ basePath: path, csrfToken: csrfToken(o.secret, identity, nonce), scriptNonce }),
      200,
    );
  };
  adapter.get(path, page);

  read('/api/overview', () => overview(o.store));
  read('/api/failed', (q) => failedJobs(o.store, q.queue));
  read('/api/request', (q) => requestTimeline(o.store, q.id));
  act('/api/failed/retry', (q) => retryJob(o.store, q.id));
  act('/api/failed/forget', (q) => forgetJob(o.store, q.id));
  act('/api/queues/retry-all', (q) => retryQueue(o.store, q.queue));
}
