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
});
