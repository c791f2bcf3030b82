import { describe, expect, it } from 'vitest';
import type { Outcome } from '../core/job.js';
import type { JobFilter, JobSummary, QueueStats, StatusRecord } from '../core/request-status.js';
import { statusBinding } from '../core/status-view.js';
import { resolveOptions } from '../request-queue.options.js';
import { RequestQueueRuntime } from '../runtime.js';
import type { RequestQueueStore } from '../store/request-queue.store.js';
import { runRequestQueueCli } from './cli.js';

/**
 * `status`, `list` and `stats` over a stand-in store: what they print, their exit codes and
 * what they ask the store. (test/cli/status-commands.spec.ts runs them on the real stores.)
 */
describe('request-queue status, list and stats (stand-in store)', () => {
  const id = '3f2a5b1c-0000-4000-8000-000000000001';
  const at = Date.UTC(2026, 10, 21, 9, 5, 3);
  const jobs: JobSummary[] = [
    {
      id: '7',
      queue: 'api:request',
      state: 'waiting',
      kind: 'replay',
      correlationId: id,
      method: 'PATCH',
      path: '/user/1',
      attempts: 0,
      createdAt: at,
      availableAt: at,
    },
  ];
  const stats: QueueStats[] = [{ queue: 'api:request', waiting: 1, delayed: 0, running: 0, failed: 0 }];

  function world(records: Record<string, (box: RequestQueueRuntime['box']) => StatusRecord> = {}) {
    const filters: JobFilter[] = [];
    let connected = 0;
    let listed = jobs;
    let counted = stats;
    const store = {
      ping: async () => {},
      close: async () => {},
      readStatus: async (cid: string) => (records[cid] ? records[cid](runtime.box) : null),
      listJobs: async (filter: JobFilter) => {
        filters.push(filter);
        return listed;
      },
      stats: async () => counted,
    } as unknown as RequestQueueStore;
    const runtime = new RequestQueueRuntime(
      resolveOptions({ driver: 'redis', secret: 'inspect-spec-secret' }, {}),
      store,
    );
    return {
      filters,
      get connected() {
        return connected;
      },
      empty() {
        listed = [];
        counted = [];
      },
      async cli(...args: string[]) {
        let stdout = '';
        let stderr = '';
        const code = await runRequestQueueCli(args, {
          connect: async () => {
            connected++;
            return { runtime, close: async () => {} };
          },
          stdout: (t) => (stdout += t),
          stderr: (t) => (stderr += t),
        });
        return { code, stdout, stderr };
      },
    };
  }

  const completed = (box: RequestQueueRuntime['box']): StatusRecord => {
    const outcome: Outcome = {
      correlationId: id,
      status: 'completed',
      attempts: 1,
      response: { status: 200, headers: { 'x-secret': 'header-secret-1' }, body: { card: 'body-secret-2' } },
    };
    return {
      correlationId: id,
      state: 'completed',
      attempts: 1,
      queue: 'api:request',
      jobId: 'api:request:3',
      queuedAt: at,
      updatedAt: at + 500,
      result: box.seal(outcome, statusBinding(id)),
    };
  };

  it('status prints the record with its queue and job id, and no response headers or body', async () => {
    const w = world({ [id]: completed });
    const human = await w.cli('status', id);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Correlation ID: +3f2a5b1c-/);
    expect(human.stdout).toMatch(/^Job ID: +api:request:3$/m);
    expect(human.stdout).toMatch(/^Response status: 200$/m);
    expect(human.stdout).toContain('shown only to the client');
    const json = await w.cli('status', id, '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      correlationId: id,
      status: 'completed',
      attempts: 1,
      queuedAt: new Date(at).toISOString(),
      updatedAt: new Date(at + 500).toISOString(),
      queue: 'api:request',
      jobId: 'api:request:3',
      result: { correlationId: id, status: 'completed', attempts: 1, response: { status: 200 } },
    });
    for (const out of [human.stdout, json.stdout]) {
      expect(out).not.toContain('header-secret-1');
      expect(out).not.toContain('body-secret-2');
      expect(out).not.toContain('x-secret');
    }
  });

  it('status of an unknown id says so on stderr and exits 1; without an id it is a usage error', async () => {
    const w = world();
    for (const args of [
      ['status', 'nope'],
      ['status', 'nope', '--json'],
    ]) {
      const run = await w.cli(...args);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        "no status for correlation id 'nope' (never queued here, or its status expired after statusTtl)\n",
      );
    }
    expect((await w.cli('status')).code).toBe(2);
  });

  it('list passes its filters to the store (limit 50 by default) and prints a table or JSON', async () => {
    const w = world();
    const table = await w.cli('list');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/\| ID +\| Queue +\| State +\| Stage +\| Request +\| Correlation ID +\| Attempts \|/);
    expect(table.stdout).toContain(`| 7  | api:request | waiting | replay | PATCH /user/1 | ${id} |`);
    const json = await w.cli('list', '--queue', 'high', '--state', 'delayed', '--limit', '5', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ id: '7', stage: 'replay', state: 'waiting' })]);
    expect(w.filters).toEqual([{ limit: 50 }, { queue: 'high', state: 'delayed', limit: 5 }]);
    w.empty();
    expect((await w.cli('list')).stdout).toBe('No jobs.\n');
    expect(JSON.parse((await w.cli('list', '--json')).stdout)).toEqual([]);
  });

  it('list refuses a bad --state (naming the states) or --limit with exit 2, before opening the store', async () => {
    const w = world();
    const state = await w.cli('list', '--state', 'done');
    expect(state.code).toBe(2);
    expect(state.stderr).toContain('waiting, delayed, running, failed');
    for (const limit of ['0', '-1', 'ten', '1.5']) {
      const run = await w.cli('list', '--limit', limit);
      expect(run.code, limit).toBe(2);
      expect(run.stderr).toContain('expected a whole number of at least 1');
    }
    expect(w.connected).toBe(0);
    expect(w.filters).toEqual([]);
  });

  it('stats prints a table with a total, or JSON; with no jobs, "No jobs." and zero totals', async () => {
    const w = world();
    const table = await w.cli('stats');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('| api:request |       1 |       0 |       0 |      0 |');
    expect(table.stdout).toContain('| Total       |       1 |       0 |       0 |      0 |');
    expect(JSON.parse((await w.cli('stats', '--json')).stdout)).toEqual({
      queues: stats,
      total: { waiting: 1, delayed: 0, running: 0, failed: 0 },
    });
    w.empty();
    expect((await w.cli('stats')).stdout).toBe('No jobs.\n');
    expect(JSON.parse((await w.cli('stats', '--json')).stdout)).toEqual({
      queues: [],
      total: { waiting: 0, delayed: 0, running: 0, failed: 0 },
    });
  });

  it('--help lists the three commands', async () => {
    const w = world();
    const help = await w.cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}status \[options\] <correlation-id> /m);
    expect(help.stdout).toMatch(/^ {2}list \[options\] /m);
    expect(help.stdout).toMatch(/^ {2}stats \[options\] /m);
    const list = await w.cli('list', '--help');
    expect(list.stdout.replace(/\s+/g, ' ')).toContain('(choices: "waiting", "delayed", "running", "failed")');
  });
});
