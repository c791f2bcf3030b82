import { describe, expect, it } from 'vitest';
import { checkQueueableRoutes, type RouteCheckSettings } from './route-checks.js';

const settings: RouteCheckSettings = {
  queue: 'api:request',
  workerQueues: ['api:request'],
  timeout: 30_000,
  defaultLease: (t) => Math.max(90_000, t + 30_000),
};

describe('checkQueueableRoutes', () => {
  it('is silent when every route is consumed and no lease is involved', () => {
    expect(checkQueueableRoutes([{ name: 'PUT /user/:id', options: {} }], { ...settings, lease: 90_000 })).toEqual([]);
  });

  it('names a queue no worker consumes, its routes, and both fixes', () => {
    const [warning, ...rest] = checkQueueableRoutes(
      [
        { name: 'PUT /user/:id', options: { queue: 'high' } },
        { name: 'PATCH /user/:id', options: { queue: 'high' } },
        { name: 'DELETE /user/:id', options: {} },
      ],
      settings,
    );
    expect(rest).toEqual([]);
    expect(warning).toBe(
      "no worker consumes queue 'high' (used by PUT /user/:id, PATCH /user/:id): its requests get 202 and are never replayed; " +
        'add it to worker.queues or run request-queue work --queue high,api:request',
    );
  });

  it('names a route whose timeout is not shorter than the database lease, with the numbers', () => {
    const warnings = checkQueueableRoutes(
      [
        { name: 'PUT /report/:id', options: { timeout: 120_000 } },
        { name: 'PUT /user/:id', options: {} },
      ],
      { ...settings, lease: 90_000 },
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('PUT /report/:id has a replay timeout of 120000 ms');
    expect(warnings[0]).toContain('database.retryAfter 90000 ms');
    expect(warnings[0]).toContain('set database.retryAfter to 150000 ms or more');
    expect(checkQueueableRoutes([{ name: 'PUT /report/:id', options: { timeout: 120_000 } }], settings)).toEqual([]);
  });

  it('names flow control options that cannot work (lib/flow), and is silent on good ones', () => {
    const warnings = checkQueueableRoutes(
      [
        { name: 'PUT /a', options: { throttle: { allow: 10, every: 0 } } },
        { name: 'PUT /b', options: { funnel: { limit: -1 } } },
        { name: 'PUT /c', options: { retryUntil: 1.5 } },
        { name: 'PUT /d', options: { throttle: { allow: 1, every: 1000 }, funnel: { limit: 1 }, retryUntil: 60_000 } },
      ],
      settings,
    );
    expect(warnings).toEqual([
      'PUT /a: throttle.every must be a positive integer (got 0): its queued requests cannot be stored (500) until it is fixed',
      'PUT /b: funnel.limit must be a positive integer (got -1): its queued requests cannot be stored (500) until it is fixed',
      'PUT /c: retryUntil must be a positive integer (got 1.5): its queued requests cannot be stored (500) until it is fixed',
    ]);
  });
});
