import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestQueueConfigError } from '../../lib/index.js';
import { checkBullVersion, installedBullVersion, TESTED_BULL } from '../../lib/store/redis/bull-version.js';
import { buildForTests, ROOT, type TestBuild } from '../cli/support/build.js';
import { runToEnd } from '../cli/support/processes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * `npm run test:compat` runs this file on a copy of the sources without package.json and
 * without a TypeScript to build the CLI with: there only the check itself and the version
 * it reads (bull 4.0.0) are tested.
 */
const COMPAT_COPY = !existsSync(join(ROOT, 'package.json'));

describe('the bull version check', () => {
  it('lets the tested major through, any minor of it', () => {
    expect(() => checkBullVersion('4.0.0')).not.toThrow();
    expect(() => checkBullVersion('4.16.5')).not.toThrow();
    expect(() => checkBullVersion('4.17.0')).not.toThrow();
  });

  it.each(['3.29.3', '5.0.0', '10.1.0', 'next'])('refuses bull %s, naming it and what is tested', (version) => {
    expect(() => checkBullVersion(version)).toThrow(RequestQueueConfigError);
    expect(() => checkBullVersion(version)).toThrow(
      `the redis driver is tested on bull 4.0 to 4.16 and writes Bull 4's job layout itself; bull ${version} is installed: npm install bull@^4`,
    );
  });

  it('refuses a bull whose version cannot be read', () => {
    expect(() => checkBullVersion(undefined)).toThrow('a bull whose version could not be read is installed');
  });

  it('reads the installed version, a tested one', async () => {
    const version = await installedBullVersion();
    const installed = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('bull/package.json'), 'utf8')) as {
      version: string;
    };
    expect(version).toBe(installed.version);
    expect(() => checkBullVersion(version)).not.toThrow();
  });

  it.skipIf(COMPAT_COPY)('package.json declares the tested minors as the peer range', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
    };
    const [low, high] = TESTED_BULL.minors;
    expect(pkg.peerDependencies.bull).toBe(`>=${TESTED_BULL.major}.${low}.0 <${TESTED_BULL.major}.${high + 1}.0`);
  });
});

describe.skipIf(COMPAT_COPY)('startup on an untested bull major', () => {
  let build: TestBuild;
  let dir: string;

  beforeAll(async () => {
    build = await buildForTests();
    dir = mkdtempSync(join(tmpdir(), 'rq-bull-version-'));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A preload that makes `require('bull/package.json')` (how the CommonJS build reads the
   * version) find a package.json of `version`; bull itself is the installed one.
   */
  function fakeBull(version: string): string {
    const pkg = join(dir, `bull-${version}.json`);
    writeFileSync(pkg, JSON.stringify({ name: 'bull', version }));
    const preload = join(dir, `fake-bull-${version}.cjs`);
    writeFileSync(
      preload,
      `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'bull/package.json' ? ${JSON.stringify(pkg)} : resolve.call(this, request, ...rest);
};
`,
    );
    return preload;
  }

  it.each(['5.0.0', '3.22.0'])(
    '`request-queue work` refuses bull %s with a message, exit 4 (configuration error)',
    async (version) => {
      const run = await runToEnd(build.cli, ['work', '--once'], {
        NODE_OPTIONS: `--require=${fakeBull(version)}`,
        REQUEST_QUEUE_DRIVER: 'redis',
        REDIS_URL,
        REQUEST_QUEUE_REDIS_PREFIX: 'rq-bull-version-never-used',
        REQUEST_QUEUE_SECRET: 'bull-version-test-secret-0123',
        REQUEST_QUEUE_BASE_URL: 'http://127.0.0.1:1',
      });
      expect(run.stderr).toContain(`Configuration error: the redis driver is tested on bull 4.0 to 4.16`);
      expect(run.stderr).toContain(`bull ${version} is installed: npm install bull@^4`);
      expect(run.code, run.stderr).toBe(4);
    },
  );

  it('starts on the installed bull', async () => {
    const run = await runToEnd(build.cli, ['stats'], {
      REQUEST_QUEUE_DRIVER: 'redis',
      REDIS_URL,
      REQUEST_QUEUE_REDIS_PREFIX: 'rq-bull-version-never-used',
      REQUEST_QUEUE_SECRET: 'bull-version-test-secret-0123',
      REQUEST_QUEUE_BASE_URL: 'http://127.0.0.1:1',
    });
    expect(run.code, run.stderr).toBe(0);
  });
});
