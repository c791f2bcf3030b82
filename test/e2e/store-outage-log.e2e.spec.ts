import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapturedLogger } from '../support/captured-logger.js';
import { runSql } from '../support/run-sql.js';
import { ADAPTERS, createTestApp, type TestApp } from '../support/test-app.js';

const TOKEN = 'e2e-callback-token-0123456789';
const GENERIC = 'the request queue is unavailable, try again later';
const FIX = 'run "npx request-queue --config <your config file> migrate" (or set database.migrationsRun: true)';

/** Sends a synchronous and a queued PUT; both must get the generic 503. */
async function twoRefused(t: TestApp): Promise<void> {
  for (const body of [{ name: 'sync' }, { _callback_url: 'https://example.com/cb', _callback_token: TOKEN }]) {
    const res = await fetch(`${t.url}/echo/1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(503);
    const answer = (await res.json()) as { message: string };
    expect(answer.message).toBe(GENERIC); // no internals to clients
  }
}

describe.each(ADAPTERS)('a 503 caused by the store is logged with its cause, once per outage (%s)', (adapter) => {
  describe('SQLite whose table disappears after start', () => {
    let dir: string;
    let url: string;
    let t: TestApp;
    const logger = new CapturedLogger();

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rq-outage-'));
      url = `sqlite:${join(dir, 'queue.sqlite')}`;
      t = await createTestApp(
        adapter,
        { driver: 'database', database: { url, migrationsRun: true }, worker: { enabled: false } },
        logger,
      );
    });
    afterAll(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('logs the missing table and the migrate fix once, and again after the store worked in between', async () => {
      await runSql(url, ['ALTER TABLE request_queue_claims RENAME TO request_queue_claims_gone']);
      await twoRefused(t);
      await twoRefused(t);
      const first = logger.of('error');
      expect(first).toHaveLength(1);
      expect(first[0]).toMatch(/^the store failed, queueable requests get 503 until it works again: /);
      expect(first[0]).toContain('no such table: request_queue_claims');
      expect(first[0]).toContain(FIX);

      await runSql(url, ['ALTER TABLE request_queue_claims_gone RENAME TO request_queue_claims']);
      const ok = await fetch(`${t.url}/echo/2`, { method: 'PUT' });
      expect(ok.status).toBe(200);
      expect(logger.of('error')).toHaveLength(1);

      await runSql(url, ['ALTER TABLE request_queue_claims RENAME TO request_queue_claims_gone']);
      await twoRefused(t);
      expect(logger.of('error')).toHaveLength(2); // a new outage
      expect(logger.of('error')[1]).toBe(first[0]);
      await runSql(url, ['ALTER TABLE request_queue_claims_gone RENAME TO request_queue_claims']);
    });
  });

  describe('Redis on a closed port', () => {
    let t: TestApp;
    const logger = new CapturedLogger();

    beforeAll(async () => {
      t = await createTestApp(
        adapter,
        { driver: 'redis', redis: { url: 'redis://127.0.0.1:1', commandTimeout: 500 }, worker: { enabled: false } },
        logger,
      );
    });
    afterAll(() => t?.close());

    it('logs the connection error once for many refused requests', async () => {
      await twoRefused(t);
      await twoRefused(t);
      const errors = logger.of('error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        /^the store failed, queueable requests get 503 until it works again: .*ECONNREFUSED 127\.0\.0\.1:1/,
      );
    });
  });
});
