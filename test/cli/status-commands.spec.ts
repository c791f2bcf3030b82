import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toStatusView } from '../../lib/core/status-view.js';
import { CLI_STORES, onOneStore, useCliWorld } from './support/cli-world.js';
import { waitFor } from '../support/wait-for.js';
import { runToEnd } from './support/processes.js';
import { CALLBACK_TOKEN } from './support/api-runtime.js';

// The commands read through the store contract alone; they run on every store the library has.
describe.each(CLI_STORES)('request-queue status/list/stats on $kind.name', ({ kind, skip }) => {
  const world = useCliWorld(kind, skip);

  /** A queue of the test's own, so counts and listings see only its jobs. */
  const newQueue = (name: string) => `st-${name}-${randomUUID().slice(0, 6)}`;

  const { drain, cli } = world;

  const rowOf = (table: string, id: string) => table.split('\n').find((l) => l.includes(` ${id} `));
  const neverSealed = (out: string) => {
    expect(out).not.toContain('do-not-leak-me');
    expect(out).not.toContain(CALLBACK_TOKEN);
    expect(out).not.toContain('sealed');
  };

  it.skipIf(skip)(
    'status of a completed request: the client view, queue and job id, and never the response body or headers',
    async () => {
      const queue = newQueue('done');
      const marker = `marker-${randomUUID().slice(0, 8)}`;
      const id = await world.queue(`/fine/${marker}`, { route: { queue } });
      await drain([queue]);
      const record = (await world.runtime.store.readStatus(id))!;
      expect(record).toMatchObject({ state: 'completed', queue });
      // the outcome the client gets does carry the app's answer, with the marker in its body
      const clientView = toStatusView(record, world.runtime.box);
      expect(JSON.stringify(clientView.result?.response?.body)).toContain(marker);

      const human = await cli('status', id);
      expect(human.code, human.stderr).toBe(0);
      const [head, timeline] = human.stdout.trimEnd().split('\n\nTimeline:\n') as [string, string];
      const lines = head.split('\n');
      expect(lines[0]).toBe(`Correlation ID:  ${id}`);
      expect(lines).toContain('Status:          completed');
      expect(lines).toContain('Attempts:        1');
      expect(lines).toContain(`Queue:           ${queue}`);
      expect(lines).toContain(`Job ID:          ${record.jobId}`);
      expect(lines).toContain('Result:          completed after 1 attempt');
      expect(lines).toContain('Response status: 200');
      expect(human.stdout).toContain('headers and body are shown only to the client');
      expect(new Set(lines.map((l) => /^[^:]+:\s+/.exec(l)![0].length)).size).toBe(1); // aligned
      // then the timeline, a line per entry: queued, the replay's attempt, the callback's delivery
      const time = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`;
      expect(timeline.split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^  ${time}  queued$`)),
        expect.stringMatching(new RegExp(`^  ${time}  attempt 1   200  [\\d.]+m?s$`)),
        expect.stringMatching(new RegExp(`^  ${time}  callback 1  \\d{3}  [\\d.]+m?s$`)),
      ]);

      const json = await cli('status', id, '--json');
      expect(json.code, json.stderr).toBe(0);
      const row = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(row).toEqual({
        correlationId: id,
        status: 'completed',
        attempts: 1,
        queuedAt: clientView.queuedAt,
        updatedAt: clientView.updatedAt,
        queue,
        jobId: record.jobId,
        result: { correlationId: id, status: 'completed', attempts: 1, response: { status: 200 } },
        timeline: [
          { at: clientView.queuedAt, kind: 'queued' },
          { at: expect.any(String), kind: 'attempt', attempt: 1, status: 200, durationMs: expect.any(Number) },
          {
            at: expect.any(String),
            kind: 'callback',
            attempt: 1,
            status: expect.any(Number),
            durationMs: expect.any(Number),
          },
        ],
      });
      for (const out of [human.stdout, json.stdout]) {
        expect(out).not.toContain(marker);
        expect(out).not.toContain('content-type');
        expect(out).not.toContain('"ok"');
        neverSealed(out);
      }
    },
  );

  it.skipIf(skip)('status of a failed request shows its error and the answer status', async () => {
    const queue = newQueue('fail');
    const id = await world.queue('/status/500/st', { route: { queue, tries: 1 } });
    await drain([queue]);
    const run = await cli('status', id);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Status: +failed$/m);
    expect(run.stdout).toMatch(/^Result: +failed after 1 attempt$/m);
    expect(run.stdout).toMatch(/^Error: +replay answered 500 \(after 1 attempt\)$/m);
    expect(run.stdout).toMatch(/^Response status: 500$/m);
    expect(run.stdout).toMatch(/^ {2}\S+ \S+ {2}attempt 1 {3}500 {2}[\d.]+m?s +replay answered 500$/m);
    const json = JSON.parse((await cli('status', id, '--json')).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      status: 'failed',
      queue,
      result: {
        status: 'failed',
        attempts: 1,
        error: 'replay answered 500 (after 1 attempt)',
        response: { status: 500 },
      },
    });
    neverSealed(run.stdout);
  });

  it.skipIf(skip)('status of an unknown id says so on stderr and exits 1', async () => {
    const id = randomUUID();
    for (const args of [
      ['status', id],
      ['status', id, '--json'],
    ]) {
      const run = await cli(...args);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim()).toBe(
        `no status for correlation id '${id}' (never queued here, or its status expired after statusTtl)`,
      );
    }
  });

  it.skipIf(skip)('list shows waiting, delayed and failed jobs, filtered by --state, --queue and --limit', async () => {
    const queue = newQueue('list');
    const failed = await world.queue('/status/500/l', { route: { queue, tries: 1 } });
    await drain([queue]);
    const waiting = [await world.queue('/fine/w1', { route: { queue } })];
    waiting.push(await world.queue('/fine/w2', { method: 'DELETE', route: { queue } }));
    const delayed = await world.queue('/fine/d', { route: { queue, delay: 60_000 } });

    const all = await cli('list', '--queue', queue, '--json');
    expect(all.code, all.stderr).toBe(0);
    const rows = JSON.parse(all.stdout) as Record<string, unknown>[];
    expect(rows.map((r) => [r.correlationId, r.state]).sort()).toEqual(
      [
        [failed, 'failed'],
        [waiting[0], 'waiting'],
        [waiting[1], 'waiting'],
        [delayed, 'delayed'],
      ].sort(),
    );
    for (const row of rows) {
      expect(row.queue).toBe(queue);
      expect(row.stage).toBe('replay');
      expect(new Date(row.createdAt as string).toISOString()).toBe(row.createdAt);
    }
    expect(rows.find((r) => r.correlationId === waiting[1])).toMatchObject({ method: 'DELETE', path: '/fine/w2' });
    expect(rows.find((r) => r.correlationId === failed)).toMatchObject({
      error: 'replay answered 500 (after 1 attempt)',
      attempts: 1,
    });
    const later = Date.parse(rows.find((r) => r.correlationId === delayed)!.availableAt as string);
    expect(later).toBeGreaterThan(Date.now() + 50_000);
    neverSealed(all.stdout);

    const table = await cli('list', '--queue', queue, '--state', 'waiting');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /\| ID +\| Queue +\| State +\| Stage +\| Request +\| Correlation ID +\| Attempts \| Created +\| Available\/Error +\|/,
    );
    expect(rowOf(table.stdout, waiting[0]!)).toMatch(/\| waiting \| replay \| PATCH \/fine\/w1 +\|/);
    expect(rowOf(table.stdout, waiting[1]!)).toMatch(/\| waiting \| replay \| DELETE \/fine\/w2 +\|/);
    expect(table.stdout).not.toContain(delayed);
    expect(table.stdout).not.toContain(failed);
    neverSealed(table.stdout);

    const delayedTable = await cli('list', '--queue', queue, '--state', 'delayed');
    expect(rowOf(delayedTable.stdout, delayed)).toMatch(
      /\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \|$/,
    );
    expect(delayedTable.stdout.trim().split('\n')).toHaveLength(5);

    const failedTable = await cli('list', '--queue', queue, '--state', 'failed');
    expect(rowOf(failedTable.stdout, failed)).toMatch(
      /\| failed +\| replay \| PATCH \/status\/500\/l .*\| replay answered 500 \(after 1 attempt\) +\|$/,
    );
    expect(failedTable.stdout.trim().split('\n')).toHaveLength(5);

    const one = JSON.parse(
      (await cli('list', '--queue', queue, '--state', 'waiting', '--limit', '1', '--json')).stdout,
    ) as { correlationId: string }[];
    expect(one).toHaveLength(1);
    expect(waiting).toContain(one[0]?.correlationId);

    const anyQueue = JSON.parse((await cli('list', '--state', 'delayed', '--limit', '1000', '--json')).stdout) as {
      correlationId: string;
    }[];
    expect(anyQueue.map((r) => r.correlationId)).toContain(delayed);
    expect((await cli('list', '--queue', newQueue('none'))).stdout).toBe('No jobs.\n');
  });

  it.skipIf(skip)('list --state running shows the job a worker has in hand', async () => {
    const queue = newQueue('run');
    const id = await world.queue('/slow/2000/r', { route: { queue } });
    const worker = world.runtime.createWorker({ queues: [queue], restartCheckInterval: 0 });
    await worker.start();
    try {
      await waitFor('the replay in flight', () => world.api.for(id).length > 0, { timeoutMs: 5000, intervalMs: 25 });
      expect(world.api.for(id)).toHaveLength(1);
      const run = await cli('list', '--queue', queue, '--state', 'running', '--json');
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual([
        expect.objectContaining({ correlationId: id, state: 'running', queue, path: '/slow/2000/r' }),
      ]);
      const stats = JSON.parse((await cli('stats', '--json')).stdout) as { queues: { queue: string }[] };
      expect(stats.queues.find((q) => q.queue === queue)).toEqual({
        queue,
        waiting: 0,
        delayed: 0,
        running: 1,
        failed: 0,
      });
    } finally {
      await worker.stop();
    }
  });

  it.skipIf(skip)('stats counts waiting, delayed and failed jobs per queue, with a total', async () => {
    const queue = newQueue('stats');
    await world.queue('/status/500/s', { route: { queue, tries: 1 } });
    await drain([queue]);
    for (const n of [1, 2, 3]) await world.queue(`/fine/s${n}`, { route: { queue } });
    await world.queue('/fine/later', { route: { queue, delay: 60_000 } });

    const json = await cli('stats', '--json');
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as {
      queues: { queue: string; waiting: number; delayed: number; running: number; failed: number }[];
      total: { waiting: number; delayed: number; running: number; failed: number };
    };
    expect(report.queues.find((q) => q.queue === queue)).toEqual({
      queue,
      waiting: 3,
      delayed: 1,
      running: 0,
      failed: 1,
    });
    for (const state of ['waiting', 'delayed', 'running', 'failed'] as const) {
      expect(report.total[state]).toBe(report.queues.reduce((sum, q) => sum + q[state], 0));
    }

    const table = await cli('stats');
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^\| Queue +\| Waiting \| Delayed \| Running \| Failed \|$/);
    expect(rowOf(table.stdout, queue)).toMatch(/^\| \S+ +\| +3 \| +1 \| +0 \| +1 \|$/);
    expect(lines.at(-2)).toMatch(
      new RegExp(
        `^\\| Total +\\| +${report.total.waiting} \\| +${report.total.delayed} \\| +${report.total.running} \\| +${report.total.failed} \\|$`,
      ),
    );
  });

  onOneStore(kind, skip)('a bad --state or --limit is a usage error (exit 2)', async () => {
    const state = await cli('list', '--state', 'done');
    expect(state.code).toBe(2);
    expect(state.stderr).toContain('waiting, delayed, running, failed');
    for (const limit of ['0', 'x', '-3']) {
      const run = await cli('list', '--limit', limit);
      expect(run.code, limit).toBe(2);
    }
  });

  it.skipIf(skip)('the real bin: status --json, and an unknown id exits 1', async () => {
    const queue = newQueue('bin');
    const id = await world.queue('/fine/bin', { route: { queue } });
    const run = await runToEnd(world.build.cli, ['status', id, '--json'], world.env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ correlationId: id, status: 'queued', attempts: 0, queue });
    const stats = await runToEnd(world.build.cli, ['stats', '--json'], world.env);
    expect(stats.code, stats.stderr).toBe(0);
    expect((JSON.parse(stats.stdout) as { queues: unknown[] }).queues).toContainEqual({
      queue,
      waiting: 1,
      delayed: 0,
      running: 0,
      failed: 0,
    });
    const unknown = await runToEnd(world.build.cli, ['status', 'no-such-id'], world.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no status for correlation id 'no-such-id'");
  });
});
