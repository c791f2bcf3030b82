import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_QUEUE_ENV, runRequestQueueCli } from '../../lib/index.js';
import { buildForTests, type TestBuild } from './support/build.js';
import { CLI_STORES, useCliWorld } from './support/cli-world.js';
import { runToEnd } from './support/processes.js';
import { SECRET } from './support/api-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'rq-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a configuration file and returns its path. */
function configFile(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

describe('request-queue without a configuration', () => {
  let build: TestBuild;
  beforeAll(async () => {
    build = await buildForTests();
  });

  it('exits 4 naming --config and REQUEST_QUEUE_DRIVER, and opens no store', async () => {
    const run = await runToEnd(build.cli, ['failed'], {});
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/Configuration error: no configuration: pass --config <file>/);
    expect(run.stderr).toContain('REQUEST_QUEUE_DRIVER');
  });

  it('--help lists every command, --config and every environment variable', async () => {
    const run = await runToEnd(build.cli, ['--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('-c, --config <file>');
    for (const command of [
      'work',
      'failed',
      'retry',
      'forget',
      'flush',
      'restart',
      'status',
      'list',
      'stats',
      'migrate',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    for (const variable of REQUEST_QUEUE_ENV) expect(run.stdout).toContain(variable.name);
  });
});

describe('request-queue --config on SQLite', () => {
  const database = join(dir, 'queue.sqlite');
  const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runRequestQueueCli(args, {
      env,
      cwd: dir,
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };

  it('migrate creates the tables from a CommonJS file compiled from `export default function`', async () => {
    configFile(
      'compiled.cjs',
      `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.default = requestQueueConfig;
function requestQueueConfig() { return { driver: 'database', database: { url: 'sqlite:${database}' }, secret: 'x'.repeat(32) }; }`,
    );
    const before = await run(['--config', 'compiled.cjs', 'failed']);
    expect(before.code).toBe(4); // the tables are not there yet: the startup check names the fix
    expect(before.stderr).toMatch(/migrate/);

    const first = await run(['--config', 'compiled.cjs', 'migrate']);
    expect(first, first.stderr).toMatchObject({ code: 0 });
    expect(first.stdout).toContain('Migrations applied');
    const again = await run(['migrate'], { REQUEST_QUEUE_CONFIG: 'compiled.cjs' });
    expect(again.code, again.stderr).toBe(0);

    const failed = await run(['--config', 'compiled.cjs', 'failed', '--json']);
    expect(failed.code, failed.stderr).toBe(0);
    expect(JSON.parse(failed.stdout)).toEqual([]); // nothing but the JSON on stdout
  });

  it('reads an ESM file whose default export is an async factory', async () => {
    configFile(
      'async.mjs',
      `export default async () => ({ driver: 'database', database: { url: 'sqlite:${database}' } });`,
    );
    const failed = await run(['failed', '--config', 'async.mjs']);
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout).toContain('No failed jobs.');
  });

  it('names what is wrong with a file it cannot use', async () => {
    configFile('named.mjs', `export function requestQueueConfig() { return {}; }`);
    const named = await run(['--config', 'named.mjs', 'failed']);
    expect(named.code).toBe(4);
    expect(named.stderr).toMatch(/has no default export \(it exports requestQueueConfig\)/);

    configFile('list.cjs', `module.exports = ['redis'];`);
    const list = await run(['--config', 'list.cjs', 'failed']);
    expect(list.code).toBe(4);
    expect(list.stderr).toMatch(/must export the request queue options .* \(got an array\)/);

    const missing = await run(['--config', 'nowhere.js', 'failed']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(`configuration file not found: ${join(dir, 'nowhere.js')}`);

    configFile('source.ts', `export default {};`);
    const ts = await run(['--config', 'source.ts', 'failed']);
    expect(ts.code).toBe(4);
    expect(ts.stderr).toMatch(/point --config at the compiled file/);

    configFile('throws.mjs', `export default () => { throw new Error('no secret in vault'); };`);
    const throws = await run(['--config', 'throws.mjs', 'failed']);
    expect(throws.code).toBe(4);
    expect(throws.stderr).toMatch(/configuration function of .* threw: no secret in vault/);
  });
});

/**
 * The bug this closes: the API ran with options set in code (a secret, allowed hosts), the
 * command read only environment variables, and every job failed with `sealed with an
 * unknown key`. With --config the command runs on the API's own options.
 */
describe.each(CLI_STORES)('request-queue --config work on $kind.name', ({ kind, skip }) => {
  const world = useCliWorld(kind, skip);

  it.skipIf(skip)(
    'replays with the options the API queued with (secret, allowed hosts) and nothing from env',
    async () => {
      const options = {
        ...world.harness.options,
        baseUrl: world.api.origin,
        secret: SECRET,
        callback: { allowedHosts: [`127.0.0.1:${world.receiver.port}`] },
      };
      const file = configFile(`app-${kind.name}.mjs`, `export default ${JSON.stringify(options)};`);
      const id = await world.queue('/config/1');
      const run = await runToEnd(world.build.cli, ['--config', file, 'work', '--stop-when-empty'], {});
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/unknown key|refused/);
      expect(world.api.for(id)).toHaveLength(1);
      const [callback] = world.receiver.for(id);
      expect(JSON.parse(callback!.body)).toMatchObject({ correlationId: id, status: 'completed' });
    },
  );
});
