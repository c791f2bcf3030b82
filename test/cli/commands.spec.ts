import { beforeEach, describe, expect, it } from 'vitest';
import type { FailedJob } from '../../lib/index.js';
import { CLI_STORES, onOneStore, useCliWorld } from './support/cli-world.js';
import { runToEnd } from './support/processes.js';
import { CALLBACK_TOKEN } from './support/api-runtime.js';

describe.each(CLI_STORES)('request-queue failed/retry/forget/flush/restart on $kind.name', ({ kind, skip }) => {
  const world = useCliWorld(kind, skip);
  /** Cases that read no store of their own: on one store only (CI time). */
  const itOnce = onOneStore(kind, skip);
  /** Correlation ids: a failed replay on the default queue, one on `other`, and a failed callback. */
  let ids: { replay: string; other: string; callback: string };

  const drain = (queues = [world.runtime.options.queue, 'other']) => world.drain(queues);
  const cli = world.cli;

  const failedJobs = () => world.runtime.store.listFailed();
  const byCorrelation = (jobs: FailedJob[], id: string) => jobs.find((j) => j.correlationId === id)!;

  beforeEach(async () => {
    if (skip) return;
    await world.runtime.store.flushFailed(0);
    ids = {
      replay: await world.queue('/status/500/a', { route: { tries: 1 } }),
      other: await world.queue('/status/500/b', { route: { tries: 1, queue: 'other' } }),
      callback: await world.queue('/fine/c', { callbackUrl: `${world.receiver.origin}/status/410/c` }),
    };
    await drain();
    expect(await failedJobs()).toHaveLength(3);
  });

  it.skipIf(skip)('failed prints a table of every failed job', async () => {
    const jobs = await failedJobs();
    const run = await cli('failed');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\| ID +\| Queue +\| Stage +\| Request +\| Correlation ID +\| Failed at +\| Error +\|/);
    for (const job of jobs) {
      const row = run.stdout.split('\n').find((l) => l.includes(` ${job.correlationId} `))!;
      expect(row).toContain(`| ${job.id} `);
      expect(row).toContain(`| ${job.queue} `);
      expect(row).toContain(`| ${job.kind} `);
      expect(row).toContain(`| ${job.method} ${job.path} `);
    }
    expect(run.stdout).toMatch(/replay answered 500/);
    expect(run.stdout).toMatch(/410/);
  });

  it.skipIf(skip)('failed --json gives scripts every field, and never a secret', async () => {
    const run = await cli('failed', '--json');
    expect(run.code, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(
        ['attempts', 'correlationId', 'error', 'failedAt', 'id', 'method', 'path', 'queue', 'stage'].sort(),
      );
      expect(new Date(row.failedAt as string).toISOString()).toBe(row.failedAt);
    }
    expect(rows.find((r) => r.correlationId === ids.other)).toMatchObject({
      queue: 'other',
      stage: 'replay',
      method: 'PATCH',
      path: '/status/500/b',
    });
    expect(rows.find((r) => r.correlationId === ids.callback)).toMatchObject({
      stage: 'callback',
      method: 'PATCH',
      path: '/fine/c',
    });
    expect(run.stdout).not.toContain('do-not-leak-me');
    expect(run.stdout).not.toContain(CALLBACK_TOKEN);
    expect(run.stdout).not.toContain('sealed');
  });

  it.skipIf(skip)(
    'retry <id> of a failed callback delivers the callback again, and does not replay the request',
    async () => {
      const job = byCorrelation(await failedJobs(), ids.callback);
      const sent = world.receiver.for(ids.callback).length;
      const run = await cli('retry', job.id);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`Retrying failed job ${job.id} (callback of PATCH /fine/c, ${ids.callback}).`);
      await drain();
      expect(world.receiver.for(ids.callback)).toHaveLength(sent + 1);
      expect(world.api.for(ids.callback)).toHaveLength(1);
    },
  );

  it.skipIf(skip)('retry <ids...> retries the ones it knows, names the unknown one, and exits 1', async () => {
    const job = byCorrelation(await failedJobs(), ids.replay);
    const run = await cli('retry', job.id, 'no-such-job:999999');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`Retrying failed job ${job.id}`);
    expect(run.stderr).toContain('No failed job with id no-such-job:999999.');
    await drain();
    expect(world.api.for(ids.replay)).toHaveLength(2); // replayed again
  });

  it.skipIf(skip)('retry --queue Q retries the failed jobs of that queue only', async () => {
    const run = await cli('retry', '--queue', 'other');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect((await failedJobs()).map((j) => j.correlationId).sort()).toEqual([ids.replay, ids.callback].sort());
    await drain();
    expect(world.api.for(ids.other)).toHaveLength(2);
    expect(world.api.for(ids.replay)).toHaveLength(1);
    expect((await cli('retry', '--queue', 'nothing-here')).stdout).toContain(
      'No failed jobs on queue nothing-here to retry.',
    );
  });

  it.skipIf(skip)('retry all puts every failed job back', async () => {
    const run = await cli('retry', 'all');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(3);
    expect(await failedJobs()).toHaveLength(0);
    await drain(); // they fail again: the app still answers 500 and the world.receiver 410
    expect(await failedJobs()).toHaveLength(3);
  });

  itOnce('retry without ids, or with ids and all / --queue, is a usage error (exit 2)', async () => {
    for (const args of [['retry'], ['retry', 'all', 'x'], ['retry', 'x', '--queue', 'other']]) {
      const run = await cli(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).not.toBe('');
    }
    expect(await failedJobs()).toHaveLength(3);
  });

  it.skipIf(skip)('forget <id> deletes one failed job; an unknown id exits 1', async () => {
    const job = byCorrelation(await failedJobs(), ids.other);
    const run = await cli('forget', job.id);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Deleted failed job ${job.id}.`);
    expect((await failedJobs()).map((j) => j.correlationId)).not.toContain(ids.other);
    const again = await cli('forget', job.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`No failed job with id ${job.id}.`);
    expect((await cli('forget')).code).toBe(2);
  });

  it.skipIf(skip)('flush --hours H keeps recent failures; flush deletes them all', async () => {
    const old = await cli('flush', '--hours', '1');
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toContain('Deleted 0 failed jobs that failed more than 1 hour(s) ago.');
    expect(await failedJobs()).toHaveLength(3);
    expect((await cli('flush', '--hours', '-1')).code).toBe(2);
    const all = await cli('flush');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('Deleted 3 failed jobs.');
    expect((await cli('failed')).stdout).toContain('No failed jobs.');
  });

  it.skipIf(skip)('restart leaves a signal in the store', async () => {
    const before = await world.runtime.store.lastRestart();
    const run = await cli('restart');
    expect(run.code, run.stderr).toBe(0);
    const after = await world.runtime.store.lastRestart();
    expect(after).not.toBeNull();
    expect(after).not.toBe(before);
  });

  it.skipIf(skip)('the real bin: failed --json, an unknown id, and an unreachable store (fast, exit 3)', async () => {
    const json = await runToEnd(world.build.cli, ['failed', '--json'], world.env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toHaveLength(3);
    const unknown = await runToEnd(world.build.cli, ['forget', 'no-such-job:1'], world.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No failed job with id no-such-job:1.');

    // The same server kind on a port where nothing listens (SQLite has no server to be away:
    // the database driver's MariaDB URL, as for MariaDB).
    const away: Record<string, string> =
      kind.name === 'redis'
        ? { REDIS_URL: 'redis://127.0.0.1:1' }
        : kind.name === 'postgres'
          ? { DATABASE_URL: world.env.DATABASE_URL!.replace(/:\d+\//, ':1/') }
          : { DATABASE_URL: 'mysql://root@127.0.0.1:1/request_queue' };
    const down = await runToEnd(world.build.cli, ['failed'], { ...world.env, ...away });
    // Exit 3 by itself: a command that kept retrying would be killed by runToEnd (code null).
    expect(down.code, down.stderr).toBe(3);
    expect(down.stderr).toMatch(/^Cannot reach the store: /);
  });
});
