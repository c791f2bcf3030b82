import { describe, expect, it } from 'vitest';
import type { FailedJob, JobPayload } from '../core/job.js';
import { summarizeJob } from '../worker/job-report.js';
import { failedJobRow, formatFailedTable, formatJobLine, localTimestamp } from './format.js';

const payload = (kind: JobPayload['kind']): JobPayload => ({
  v: 1,
  kind,
  correlationId: '3f2a5b1c-0000-4000-8000-000000000001',
  method: 'PATCH',
  path: '/user/1',
  callbackUrl: 'https://client.example/cb',
  queuedAt: 0,
  tries: 3,
  backoff: { type: 'exponential', delay: 1000 },
  timeout: 30_000,
  sealed: 'secret-bytes',
});

describe('request-queue output', () => {
  const at = new Date(2026, 10, 21, 9, 5, 3);

  it('prints one line per job, like queue:work', () => {
    const done = summarizeJob({
      job: { id: '1', queue: 'q', attempt: 1, payload: payload('replay') },
      result: { type: 'complete' },
      startedAt: at,
      durationMs: 23.456,
    });
    expect(formatJobLine(done, at)).toMatch(
      /^2026-11-21 09:05:03 3f2a5b1c-0000-4000-8000-000000000001 PATCH \/user\/1 \.{3,} 23\.46ms DONE$/,
    );

    const retry = summarizeJob({
      job: { id: '1', queue: 'q', attempt: 1, payload: payload('replay') },
      result: { type: 'retry', error: 'replay answered 503', delayMs: 2000 },
      startedAt: at,
      durationMs: 1520,
    });
    expect(formatJobLine(retry, at)).toMatch(/ 1\.52s FAIL replay answered 503 \(attempt 1 of 3, retry in 2s\)$/);

    const failed = summarizeJob({
      job: { id: '1', queue: 'q', attempt: 2, payload: payload('callback') },
      result: { type: 'fail', error: 'callback receiver answered 410 Gone' },
      startedAt: at,
      durationMs: 5,
    });
    const line = formatJobLine(failed, at);
    expect(line).toContain('PATCH /user/1 (callback) ');
    expect(line).toMatch(/ 5ms FAIL callback receiver answered 410 Gone \(moved to failed jobs\)$/);
    expect(line).not.toContain('secret-bytes');
  });

  it('formats failed jobs as a table and as JSON rows', () => {
    const jobs: FailedJob[] = [
      {
        id: 'api:request:7',
        queue: 'api:request',
        kind: 'replay',
        correlationId: 'c1',
        method: 'PUT',
        path: '/a',
        error: 'replay answered 500\n(after 3 attempts)',
        failedAt: at,
        attempts: 3,
      },
      {
        id: 'api:request:9',
        queue: 'api:request',
        kind: 'callback',
        correlationId: 'c2',
        method: 'DELETE',
        path: '/b',
        error: 'x'.repeat(200),
        failedAt: at,
        attempts: 8,
      },
    ];
    const table = formatFailedTable(jobs).split('\n');
    expect(table[1]).toMatch(/^\| ID +\| Queue +\| Stage +\| Request +\| Correlation ID \| Failed at +\| Error +\|$/);
    expect(table[3]).toContain(
      '| api:request:7 | api:request | replay   | PUT /a    | c1             | 2026-11-21 09:05:03 | replay answered 500 (after 3 attempts)',
    );
    expect(table[4]).toContain(`${'x'.repeat(59)}… |`);
    expect(new Set(table.map((l) => l.length)).size).toBe(1); // aligned
    expect(failedJobRow(jobs[0]!)).toEqual({
      id: 'api:request:7',
      queue: 'api:request',
      stage: 'replay',
      method: 'PUT',
      path: '/a',
      correlationId: 'c1',
      error: 'replay answered 500\n(after 3 attempts)',
      failedAt: at.toISOString(),
      attempts: 3,
    });
    expect(localTimestamp(at)).toBe('2026-11-21 09:05:03');
  });
});
