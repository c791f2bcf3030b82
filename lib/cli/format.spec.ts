import { describe, expect, it } from 'vitest';
import type { FailedJob, JobPayload, Outcome } from '../core/job.js';
import type { JobSummary, StatusRecord } from '../core/request-status.js';
import { SealedBox } from '../core/sealed-box.js';
import { deriveKeys } from '../core/secret-keys.js';
import { statusBinding, toStatusView } from '../core/status-view.js';
import { summarizeJob } from '../worker/job-report.js';
import {
  failedError,
  failedJobRow,
  formatFailedTable,
  formatJobLine,
  formatJobsTable,
  formatStatsTable,
  formatStatus,
  formatTable,
  jobRow,
  localTimestamp,
  statsReport,
  statusRow,
  truncate,
} from './format.js';

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

  it('says a job failed for lost leases was killed by its worker dying', () => {
    expect(failedError('worker died 3 times while running it (its lease expired each time)')).toBe(
      'worker died 3 times while running it (its lease expired each time)',
    );
    expect(failedError('job stalled more than allowable limit')).toBe(
      'worker died while running it (stalled too often)',
    );
    expect(
      failedError('reserved 6 times without a result: its worker died, or an attempt outlived database.retryAfter'),
    ).toBe('worker died while running it (reserved 6 times without a result)');
    expect(failedError('replay answered 500 (after 3 attempts)')).toBe('replay answered 500 (after 3 attempts)');
    const at = new Date(2026, 0, 2, 3, 4, 5);
    const table = formatFailedTable([
      {
        id: '1',
        queue: 'api:request',
        kind: 'replay',
        correlationId: 'c1',
        method: 'PUT',
        path: '/x',
        error: 'worker died 3 times while running it (its lease expired each time)',
        failedAt: at,
        attempts: 3,
      },
    ]);
    expect(table).toContain('worker died 3 times while running it');
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

describe('request-queue status, list and stats output', () => {
  const at = new Date(2026, 10, 21, 9, 5, 3);
  const box = new SealedBox(deriveKeys('format-spec-secret'));
  const id = '3f2a5b1c-0000-4000-8000-000000000001';
  const base: StatusRecord = {
    correlationId: id,
    state: 'queued',
    attempts: 0,
    queue: 'api:request',
    jobId: 'api:request:7',
    queuedAt: at.getTime(),
    updatedAt: at.getTime() + 2000,
  };
  const outcome: Outcome = {
    correlationId: id,
    status: 'completed',
    attempts: 2,
    response: {
      status: 201,
      headers: { 'set-cookie': 'session=do-not-leak-me', 'content-type': 'application/json' },
      body: { token: 'body-secret-42' },
    },
  };
  const sealed = (o: Outcome) => box.seal(o, statusBinding(id));

  it('shows a completed status as the client sees it, plus queue and job id, without headers or body', () => {
    const record: StatusRecord = { ...base, state: 'completed', attempts: 2, result: sealed(outcome) };
    const row = statusRow(record, toStatusView(record, box));
    expect(row).toEqual({
      correlationId: id,
      status: 'completed',
      attempts: 2,
      queuedAt: at.toISOString(),
      updatedAt: new Date(at.getTime() + 2000).toISOString(),
      queue: 'api:request',
      jobId: 'api:request:7',
      result: { correlationId: id, status: 'completed', attempts: 2, response: { status: 201 } },
    });
    const text = formatStatus(row, record);
    expect(text.split('\n')).toEqual([
      `Correlation ID:  ${id}`,
      'Status:          completed',
      'Attempts:        2',
      'Queue:           api:request',
      'Job ID:          api:request:7',
      'Queued at:       2026-11-21 09:05:03',
      'Updated at:      2026-11-21 09:05:05',
      'Result:          completed after 2 attempts',
      'Response status: 201',
      'Response:        headers and body are shown only to the client (status resource or callback)',
    ]);
    for (const out of [text, JSON.stringify(row)]) {
      expect(out).not.toContain('do-not-leak-me');
      expect(out).not.toContain('body-secret-42');
      expect(out).not.toContain('content-type');
      expect(out).not.toContain(record.result);
    }
  });

  it('shows a failure with its error, an answerless failure, and a waiting retry', () => {
    const failedOutcome: Outcome = {
      correlationId: id,
      status: 'failed',
      attempts: 3,
      response: null,
      error: 'connect ECONNREFUSED\n(after 3 attempts)',
    };
    const failed: StatusRecord = { ...base, state: 'failed', attempts: 3, result: sealed(failedOutcome) };
    const row = statusRow(failed, toStatusView(failed, box));
    expect(row.result).toEqual({
      correlationId: id,
      status: 'failed',
      attempts: 3,
      error: 'connect ECONNREFUSED\n(after 3 attempts)',
      response: null,
    });
    const text = formatStatus(row, failed);
    expect(text).toContain('Result:          failed after 3 attempts\n');
    expect(text).toContain('Error:           connect ECONNREFUSED (after 3 attempts)\n');
    expect(text).toContain('Response status: none (no answer from the app)');

    const retrying: StatusRecord = {
      ...base,
      state: 'retrying',
      attempts: 1,
      nextAttemptAt: at.getTime() + 60_000,
    };
    const waiting = statusRow(retrying, toStatusView(retrying, box));
    expect(waiting.nextAttemptAt).toBe(new Date(at.getTime() + 60_000).toISOString());
    expect(waiting.result).toBeUndefined();
    const lines = formatStatus(waiting, retrying).split('\n');
    expect(lines).toContain('Next attempt at: 2026-11-21 09:06:03');
    expect(lines.some((l) => l.startsWith('Result'))).toBe(false);
  });

  it('prints the timeline after the status, a line per entry in aligned columns, and keeps it in the JSON row', () => {
    const t = at.getTime();
    const record: StatusRecord = {
      ...base,
      state: 'completed',
      attempts: 2,
      result: sealed(outcome),
      timeline: [
        { at: t, kind: 'queued' },
        { at: t + 1000, kind: 'attempt', attempt: 1, status: 503, durationMs: 12, error: 'replay answered 503' },
        { at: t + 3000, kind: 'attempt', attempt: 2, durationMs: 30_000, error: 'timed out\nafter 30 s' },
        { at: t + 4000, kind: 'attempt', attempt: 3, status: 201, durationMs: 840 },
        { at: t + 5000, kind: 'callback', attempt: 1, status: 204, durationMs: 7 },
      ],
    };
    const row = statusRow(record, toStatusView(record, box));
    expect(row.timeline).toEqual([
      { at: at.toISOString(), kind: 'queued' },
      {
        at: new Date(t + 1000).toISOString(),
        kind: 'attempt',
        attempt: 1,
        status: 503,
        durationMs: 12,
        error: 'replay answered 503',
      },
      {
        at: new Date(t + 3000).toISOString(),
        kind: 'attempt',
        attempt: 2,
        durationMs: 30_000,
        error: 'timed out\nafter 30 s',
      },
      { at: new Date(t + 4000).toISOString(), kind: 'attempt', attempt: 3, status: 201, durationMs: 840 },
      { at: new Date(t + 5000).toISOString(), kind: 'callback', attempt: 1, status: 204, durationMs: 7 },
    ]);
    const text = formatStatus(row, record);
    expect(text.split('\n\nTimeline:\n')[1]!.split('\n')).toEqual([
      '  2026-11-21 09:05:03  queued',
      '  2026-11-21 09:05:04  attempt 1   503  12ms   replay answered 503',
      '  2026-11-21 09:05:06  attempt 2   -    30s    timed out after 30 s',
      '  2026-11-21 09:05:07  attempt 3   201  840ms',
      '  2026-11-21 09:05:08  callback 1  204  7ms',
    ]);
    // a record without a timeline (kept by an older version) prints none
    const bare: StatusRecord = { ...record, timeline: undefined };
    const bareRow = statusRow(bare, toStatusView(bare, box));
    expect(bareRow.timeline).toBeUndefined();
    expect(formatStatus(bareRow, bare)).not.toContain('Timeline');
  });

  it('never shows the timeline on the client status resource', () => {
    const record: StatusRecord = { ...base, timeline: [{ at: at.getTime(), kind: 'queued' }] };
    expect(toStatusView(record, box)).not.toHaveProperty('timeline');
  });

  it('says when a final outcome cannot be opened here, or was never recorded', () => {
    const other = new SealedBox(deriveKeys('another-secret'));
    const foreign: StatusRecord = {
      ...base,
      state: 'completed',
      attempts: 1,
      result: other.seal(outcome, statusBinding(id)),
    };
    const row = statusRow(foreign, toStatusView(foreign, box));
    expect(row.result).toBeUndefined();
    expect(formatStatus(row, foreign)).toMatch(/^Result: +sealed with a secret this configuration does not have/m);
    const bare: StatusRecord = { ...base, state: 'completed', attempts: 1 };
    expect(formatStatus(statusRow(bare, toStatusView(bare, box)), bare)).toMatch(/^Result: +not recorded$/m);
  });

  const jobs: JobSummary[] = [
    {
      id: '12',
      queue: 'api:request',
      state: 'waiting',
      kind: 'replay',
      correlationId: 'c1',
      method: 'PATCH',
      path: '/user/1',
      attempts: 0,
      createdAt: at.getTime(),
      availableAt: at.getTime(),
    },
    {
      id: '13',
      queue: 'high',
      state: 'delayed',
      kind: 'replay',
      correlationId: 'c2',
      method: 'PUT',
      path: '/a',
      attempts: 1,
      createdAt: at.getTime(),
      availableAt: at.getTime() + 3_600_000,
    },
    {
      id: '14',
      queue: 'api:request',
      state: 'running',
      kind: 'callback',
      correlationId: 'c3',
      method: 'DELETE',
      path: '/b',
      attempts: 2,
      createdAt: at.getTime(),
    },
    {
      id: '15',
      queue: 'api:request',
      state: 'failed',
      kind: 'replay',
      correlationId: 'c4',
      method: 'PATCH',
      path: '/c',
      attempts: 10,
      createdAt: at.getTime(),
      error: 'y'.repeat(200),
    },
  ];

  it('formats stored jobs as a table and as JSON rows', () => {
    const table = formatJobsTable(jobs).split('\n');
    expect(table[1]).toMatch(
      /^\| ID +\| Queue +\| State +\| Stage +\| Request +\| Correlation ID \| Attempts \| Created +\| Available\/Error +\|$/,
    );
    expect(table[3]).toMatch(
      /^\| 12 \| api:request \| waiting \| replay +\| PATCH \/user\/1 \| c1 +\| +0 \| 2026-11-21 09:05:03 \| 2026-11-21 09:05:03 +\|$/,
    );
    expect(table[4]).toContain('| delayed | replay   | PUT /a');
    expect(table[4]).toContain('|        1 | 2026-11-21 09:05:03 | 2026-11-21 10:05:03');
    expect(table[5]).toMatch(/\| running \| callback \| DELETE \/b .*\| 2026-11-21 09:05:03 \| +\|$/);
    expect(table[6]).toContain(`|       10 | 2026-11-21 09:05:03 | ${'y'.repeat(59)}… |`);
    expect(table).toHaveLength(8);
    expect(new Set(table.map((l) => l.length)).size).toBe(1);

    expect(jobs.map(jobRow)).toEqual([
      {
        id: '12',
        queue: 'api:request',
        state: 'waiting',
        stage: 'replay',
        method: 'PATCH',
        path: '/user/1',
        correlationId: 'c1',
        attempts: 0,
        createdAt: at.toISOString(),
        availableAt: at.toISOString(),
      },
      expect.objectContaining({ id: '13', availableAt: new Date(at.getTime() + 3_600_000).toISOString() }),
      expect.not.objectContaining({ availableAt: expect.anything(), error: expect.anything() }),
      expect.objectContaining({ id: '15', state: 'failed', error: 'y'.repeat(200) }),
    ]);
    expect(Object.keys(jobRow(jobs[2]!)).sort()).toEqual(
      ['attempts', 'correlationId', 'createdAt', 'id', 'method', 'path', 'queue', 'stage', 'state'].sort(),
    );
    // a store that handed back more than the plain fields does not leak them
    const leaky = { ...jobs[0]!, sealed: 'v1.secret', payload: { sealed: 'v1.secret' } } as JobSummary;
    expect(JSON.stringify(jobRow(leaky))).not.toContain('secret');
  });

  it('counts jobs per queue, by name, with a total', () => {
    const report = statsReport([
      { queue: 'other', waiting: 0, delayed: 1, running: 0, failed: 12 },
      { queue: 'api:request', waiting: 3, delayed: 0, running: 2, failed: 1 },
    ]);
    expect(report).toEqual({
      queues: [
        { queue: 'api:request', waiting: 3, delayed: 0, running: 2, failed: 1 },
        { queue: 'other', waiting: 0, delayed: 1, running: 0, failed: 12 },
      ],
      total: { waiting: 3, delayed: 1, running: 2, failed: 13 },
    });
    expect(formatStatsTable(report).split('\n')).toEqual([
      '+-------------+---------+---------+---------+--------+',
      '| Queue       | Waiting | Delayed | Running | Failed |',
      '+-------------+---------+---------+---------+--------+',
      '| api:request |       3 |       0 |       2 |      1 |',
      '| other       |       0 |       1 |       0 |     12 |',
      '+-------------+---------+---------+---------+--------+',
      '| Total       |       3 |       1 |       2 |     13 |',
      '+-------------+---------+---------+---------+--------+',
    ]);
    expect(statsReport([])).toEqual({ queues: [], total: { waiting: 0, delayed: 0, running: 0, failed: 0 } });
  });

  it('keeps formatTable and truncate as they were for the other tables', () => {
    expect(formatTable(['A', 'Bb'], [['x', 'y']])).toBe(
      ['+---+----+', '| A | Bb |', '+---+----+', '| x | y  |', '+---+----+'].join('\n'),
    );
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
  });
});
