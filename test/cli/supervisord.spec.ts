import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestQueueRuntime } from '../../lib/index.js';
import { buildForTests, ROOT, type TestBuild } from './support/build.js';
import { enqueue } from './support/enqueue.js';
import { runToEnd } from './support/processes.js';
import { waitFor } from '../support/wait-for.js';
import { redisStore, type StoreHarness } from '../support/stores.js';
import { apiRuntime, CALLBACK_TOKEN, processEnv } from './support/api-runtime.js';
import { answerByPath, HttpRecorder } from '../support/http-recorder.js';

const SUPERVISORD = ['/usr/bin/supervisord', '/usr/local/bin/supervisord'].find((p) => existsSync(p));
const SUPERVISORCTL = ['/usr/bin/supervisorctl', '/usr/local/bin/supervisorctl'].find((p) => existsSync(p));
const installed = SUPERVISORD !== undefined && SUPERVISORCTL !== undefined;

/**
 * The supervisord recipe in deploy/, for real: the program section is taken from the
 * recipe as shipped, with only the paths, environment and user changed for this machine.
 * Skipped (and counted as skipped) where supervisord is not installed: `apt-get install supervisor`.
 */
describe.skipIf(!installed)('deploy/supervisord recipe (supervisord installed)', () => {
  let build: TestBuild;
  let harness: StoreHarness;
  let api: HttpRecorder;
  let receiver: HttpRecorder;
  let runtime: RequestQueueRuntime;
  let env: Record<string, string>;
  let dir: string;
  let conf: string;
  let supervisord: ChildProcess | undefined;
  let supervisordExit: Promise<unknown> = Promise.resolve();

  const ctl = async (...args: string[]) =>
    (await promisify(execFile)(SUPERVISORCTL!, ['-c', conf, ...args]).catch((e: { stdout: string }) => e)).stdout;

  /** Worker name → pid, for the processes supervisord reports RUNNING. */
  async function running(): Promise<Map<string, number>> {
    const map = new Map<string, number>();
    for (const line of (await ctl('status')).split('\n')) {
      const m = /^(\S+)\s+RUNNING\s+pid (\d+)/.exec(line);
      if (m) map.set(m[1]!, Number(m[2]));
    }
    return map;
  }

  beforeAll(async () => {
    build = await buildForTests();
    harness = await redisStore.create();
    api = await new HttpRecorder(answerByPath).start();
    receiver = await new HttpRecorder(answerByPath).start();
    runtime = await apiRuntime(harness, api.origin, receiver.port);
    env = processEnv(harness, api.origin, receiver.port);
    dir = await mkdtemp(join(tmpdir(), 'rq-supervisord-'));
    conf = join(dir, 'supervisord.conf');

    const recipe = await readFile(join(ROOT, 'deploy/supervisord/request-queue-worker.conf'), 'utf8');
    const program = recipe
      .split('\n')
      .filter((l) => !/^\s*user=/.test(l))
      .map((l) => {
        if (/^command=/.test(l)) return `command=${process.execPath} ${build.cli} work --sleep 1`;
        if (/^directory=/.test(l)) return `directory=${ROOT}`;
        if (/^environment=/.test(l))
          return `environment=${Object.entries({ ...env, PATH: process.env.PATH ?? '' })
            .map(([k, v]) => `${k}="${v}"`)
            .join(',')}`;
        if (/^stdout_logfile=/.test(l)) return `stdout_logfile=${dir}/%(program_name)s_%(process_num)02d.log`;
        return l;
      })
      .join('\n');
    await writeFile(
      conf,
      [
        '[supervisord]',
        'nodaemon=true',
        `logfile=${dir}/supervisord.log`,
        `pidfile=${dir}/supervisord.pid`,
        `childlogdir=${dir}`,
        '[unix_http_server]',
        `file=${dir}/supervisor.sock`,
        '[rpcinterface:supervisor]',
        'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
        '[supervisorctl]',
        `serverurl=unix://${dir}/supervisor.sock`,
        program,
      ].join('\n'),
    );
    supervisord = spawn(SUPERVISORD!, ['-c', conf], { stdio: 'ignore' });
    supervisordExit = new Promise((resolve) => supervisord!.on('exit', resolve));
  });

  afterAll(async () => {
    if (supervisord && supervisord.exitCode === null) {
      supervisord.kill('SIGTERM'); // stops the workers (SIGTERM, they drain), then exits
      const timer = setTimeout(() => supervisord?.kill('SIGKILL'), 20_000);
      await supervisordExit;
      clearTimeout(timer);
    }
    await runtime?.close();
    await api?.close();
    await receiver?.close();
    await harness?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
    await build?.remove();
  });

  it('starts the workers, and request-queue restart makes them finish their jobs and come back', async () => {
    let before = new Map<string, number>();
    await waitFor('two RUNNING workers', async () => (before = await running()).size === 2, { timeoutMs: 15_000 });
    expect([...before.keys()].sort()).toEqual([
      'request-queue-worker:request-queue-worker_00',
      'request-queue-worker:request-queue-worker_01',
    ]);

    const id = await enqueue(runtime, {
      path: '/slow/1500/supervised',
      callbackUrl: `${receiver.origin}/callback`,
      callbackToken: CALLBACK_TOKEN,
    });
    await waitFor('the replay in flight', () => api.for(id).length === 1, { timeoutMs: 10_000 });

    const restart = await runToEnd(build.cli, ['restart'], env);
    expect(restart.code, restart.stderr).toBe(0);
    let after = new Map<string, number>();
    await waitFor(
      'both workers restarted',
      async () => {
        after = await running();
        return after.size === 2 && [...after].every(([name, pid]) => before.get(name) !== pid);
      },
      { timeoutMs: 20_000 },
    );
    expect(api.for(id)[0]!.finishedAt).toBeDefined(); // the job in hand was finished, not cut
    await waitFor('the callback, from a new worker', () => receiver.for(id).length === 1, { timeoutMs: 10_000 });
    expect(api.for(id)).toHaveLength(1);

    const logs = await Promise.all(
      ['00', '01'].map((n) => readFile(join(dir, `request-queue-worker_${n}.log`), 'utf8')),
    );
    for (const log of logs) expect(log).toMatch(/Worker stopped \(restart signal\)/);
    expect(await readFile(join(dir, 'supervisord.log'), 'utf8')).toMatch(
      /exited: request-queue-worker_0\d \(exit status 0; expected\)/,
    );
  }, 60_000);
});
