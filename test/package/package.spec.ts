import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/support/build.js';
import { packAndInstall, run, type PackedPackage } from './support/packed-package.js';

/**
 * The published package, as `npm pack` makes it and an app installs it: what it contains,
 * that CommonJS (a Nest 11 app, Jest) and ESM (a Nest 12 app, Vitest) both load it, with one
 * copy of every class and token between them, and that TypeScript finds its types.
 */
let pkg: PackedPackage;

beforeAll(async () => {
  pkg = await packAndInstall();
}, 120_000);

afterAll(async () => {
  await pkg?.remove();
});

/** Runs a script file written into the install folder with Node, and parses its JSON output. */
async function node(name: string, source: string): Promise<unknown> {
  const file = join(pkg.dir, name);
  await writeFile(file, source);
  const { stdout } = await run(process.execPath, [file], { cwd: pkg.dir, env: { ...process.env, NODE_ENV: 'test' } });
  return JSON.parse(stdout);
}

/** The strings at the leaves of an `exports` map (its targets, not its keys). */
function leaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Object.values(value as Record<string, unknown>).flatMap(leaves);
}

const ENTRY_NAMES = [
  'RequestQueueModule',
  'RequestQueueRuntime',
  'QueueableRequest',
  'RESOLVED_OPTIONS',
  'REQUEST_QUEUE_STORE',
];

/** The testing subpath's values; each must be the same object through import and require(). */
const TESTING_NAMES = ['RequestQueueTestingModule', 'RequestQueueTester', 'MemoryStore'];

describe('npm pack', () => {
  // Everything an installed app may load, and nothing of the repository's own (sources, tests, sample app).
  const ALLOWED = [
    /^(package\.json|README\.md|LICENSE)$/,
    /^docs\/[\w-]+\.md$/,
    /^deploy\/(pm2|supervisord|systemd)\/[\w.@-]+$/,
    /^dist\/package\.json$/,
    /^dist\/(lib|migrations)\/([\w-]+\/)*[\w.-]+\.(js|js\.map|d\.ts)$/,
    /^dist\/(lib|lib\/bull|lib\/testing|migrations)\/index\.(mjs|d\.mts)$/,
  ];

  it('packs only the build, the docs, the deploy recipes, README and LICENSE', () => {
    const unexpected = pkg.files.map((f) => f.path).filter((path) => !ALLOWED.some((re) => re.test(path)));
    expect(unexpected).toEqual([]);
    expect(pkg.files.filter((f) => /\.spec\.|(^|\/)(test|sample-app)\//.test(f.path))).toEqual([]);
  });

  it('packs every file package.json points at, and the bin is executable', async () => {
    const manifest = JSON.parse(await readFile(join(pkg.installed, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      bin: Record<string, string>;
      exports: Record<string, unknown>;
      typesVersions: { '*': Record<string, string[]> };
    };
    const targets = [
      manifest.main,
      manifest.types,
      ...Object.values(manifest.bin),
      ...leaves(manifest.exports),
      ...Object.values(manifest.typesVersions['*']).flat(),
    ].map((path) => path.replace(/^\.\//, ''));
    const packed = new Set(pkg.files.map((f) => f.path));
    const required = [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/package.json',
      'dist/lib/index.js',
      'dist/lib/index.mjs',
      'dist/lib/index.d.ts',
      'dist/lib/index.d.mts',
      'dist/lib/bull/index.mjs',
      'dist/migrations/index.mjs',
      'dist/migrations/0001-create-jobs-table.js',
      'dist/lib/store/database/migration-data-source.js',
      'dist/lib/cli/main.js',
      'docs/operations.md',
      'docs/database-driver.md',
    ];
    expect([...targets, ...required].filter((path) => !packed.has(path))).toEqual([]);

    const bin = pkg.files.find((f) => f.path === 'dist/lib/cli/main.js')!;
    expect(bin.mode & 0o111).toBe(0o111);
    expect(await readFile(join(pkg.installed, bin.path), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(JSON.parse(await readFile(join(pkg.installed, 'dist/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('ships source maps that carry their sources', async () => {
    const maps = pkg.files.filter((f) => f.path.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const { path } of maps) {
      const map = JSON.parse(await readFile(join(pkg.installed, path), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sources.length, path).toBeGreaterThan(0);
      expect(map.sourcesContent?.length, path).toBe(map.sources.length);
      expect(
        map.sourcesContent!.every((content) => typeof content === 'string' && content.length > 0),
        path,
      ).toBe(true);
    }
  });
});

describe('the installed package at run time', () => {
  it('loads with require() and with import(), subpaths included', async () => {
    const script = `
      const { createRequire } = require('node:module');
      const subpaths = ['nestjs-request-queue', 'nestjs-request-queue/migrations', 'nestjs-request-queue/bull', 'nestjs-request-queue/testing'];
      (async () => {
        const out = {};
        for (const id of subpaths) {
          const cjs = require(id);
          const esm = await import(id);
          out[id] = { require: Object.keys(cjs).sort(), import: Object.keys(esm).sort(), resolved: require.resolve(id) };
        }
        console.log(JSON.stringify(out));
      })();
    `;
    const out = (await node('load.cjs', script)) as Record<
      | 'nestjs-request-queue'
      | 'nestjs-request-queue/migrations'
      | 'nestjs-request-queue/bull'
      | 'nestjs-request-queue/testing',
      { require: string[]; import: string[]; resolved: string }
    >;
    for (const [id, names] of Object.entries(out)) {
      expect(names.require.length, id).toBeGreaterThan(0);
      // The ESM wrapper names every export of the CommonJS module, and nothing else.
      expect(names.import, id).toEqual(names.require);
      expect(names.resolved, id).toMatch(/node_modules\/nestjs-request-queue\/dist\/.+\/index\.js$/);
    }
    expect(out['nestjs-request-queue'].require).toEqual(expect.arrayContaining(ENTRY_NAMES));
    expect(out['nestjs-request-queue/migrations'].require).toContain('requestQueueMigrations');
    expect(out['nestjs-request-queue/bull'].require).toContain('RequestQueueBullModule');
    expect(out['nestjs-request-queue/testing'].require).toEqual(
      expect.arrayContaining(['RequestQueueTestingModule', 'RequestQueueTester', 'MemoryStore']),
    );
  });

  it('gives import and require() one and the same copy (no dual instance)', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const names = ${JSON.stringify(ENTRY_NAMES)};
      const TESTING_NAMES = ${JSON.stringify(TESTING_NAMES)};
      const same = {};
      for (const id of ['nestjs-request-queue', 'nestjs-request-queue/migrations', 'nestjs-request-queue/bull', 'nestjs-request-queue/testing']) {
        const cjs = require(id);
        const esm = await import(id);
        for (const name of id === 'nestjs-request-queue' ? names : id.endsWith('/testing') ? TESTING_NAMES : Object.keys(cjs)) {
          same[id + ' ' + name] = cjs[name] !== undefined && cjs[name] === esm[name];
        }
      }
      console.log(JSON.stringify({ same, imported: import.meta.resolve('nestjs-request-queue') }));
    `;
    const { same, imported } = (await node('same.mjs', script)) as { same: Record<string, boolean>; imported: string };
    expect(imported).toMatch(/\/dist\/lib\/index\.mjs$/);
    expect(Object.keys(same)).toHaveLength(ENTRY_NAMES.length + 2 + TESTING_NAMES.length);
    expect(Object.entries(same).filter(([, ok]) => !ok)).toEqual([]);
  });

  it('runs in a Nest 12 ESM app: the module is created and its runtime is found through either copy', async () => {
    const script = `
      import 'reflect-metadata';
      import { createRequire } from 'node:module';
      import { Module } from '@nestjs/common';
      import { NestFactory } from '@nestjs/core';
      import { RequestQueueModule, RequestQueueRuntime, RESOLVED_OPTIONS } from 'nestjs-request-queue';
      const cjs = createRequire(import.meta.url)('nestjs-request-queue');

      class AppModule {}
      Module({ imports: [RequestQueueModule.forRoot({ driver: 'redis', redis: { url: 'redis://127.0.0.1:6379' }, secret: 'package-test-secret-0123456789abcdef' })] })(AppModule);
      const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
      try {
        const runtime = app.get(RequestQueueRuntime);
        console.log(JSON.stringify({
          runtime: runtime instanceof cjs.RequestQueueRuntime,
          sameRuntime: app.get(cjs.RequestQueueRuntime) === runtime,
          driver: app.get(RESOLVED_OPTIONS).driver,
          store: app.get(cjs.REQUEST_QUEUE_STORE) === runtime.store,
        }));
      } finally {
        await app.close();
      }
    `;
    expect(await node('nest-app.mjs', script)).toEqual({
      runtime: true,
      sameRuntime: true,
      driver: 'redis',
      store: true,
    });
  });

  it('runs in a CommonJS app that require()s Nest and the package (Nest 12 through require(esm) here)', async () => {
    const script = `
      require('reflect-metadata');
      const { Module } = require('@nestjs/common');
      const { NestFactory } = require('@nestjs/core');
      const { RequestQueueModule, RequestQueueRuntime, REQUEST_QUEUE_STORE } = require('nestjs-request-queue');

      class AppModule {}
      Module({ imports: [RequestQueueModule.forRoot({ driver: 'redis', redis: { url: 'redis://127.0.0.1:6379' }, secret: 'package-test-secret-0123456789abcdef' })] })(AppModule);
      (async () => {
        const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
        try {
          const runtime = app.get(RequestQueueRuntime);
          console.log(JSON.stringify({ runtime: runtime instanceof RequestQueueRuntime, store: app.get(REQUEST_QUEUE_STORE) === runtime.store }));
        } finally {
          await app.close();
        }
      })();
    `;
    expect(await node('nest-app.cjs', script)).toEqual({ runtime: true, store: true });
  });

  it('has a bin that prints its help', async () => {
    const bin = join(pkg.installed, 'dist/lib/cli/main.js');
    const { stdout } = await run(bin, ['--help'], { cwd: pkg.dir });
    expect(stdout).toContain('Usage: request-queue');
    expect(stdout).toMatch(/\bwork\b/);
  });
});

describe('the installed package to TypeScript', () => {
  const consumer = `
    import { QueueableRequest, RequestQueueModule, RequestQueueRuntime, type RequestQueueModuleOptions } from 'nestjs-request-queue';
    import { requestQueueMigrations } from 'nestjs-request-queue/migrations';
    import { RequestQueueBullModule } from 'nestjs-request-queue/bull';
    import { RequestQueueTester, RequestQueueTestingModule, type QueuedRequest } from 'nestjs-request-queue/testing';

    const options: RequestQueueModuleOptions = { driver: 'redis', redis: { url: 'redis://127.0.0.1:6379' } };
    export const used = [RequestQueueModule.forRoot(options), QueueableRequest({ queue: 'high' }), RequestQueueRuntime];
    export const migrations: readonly (new (...args: never[]) => unknown)[] = requestQueueMigrations;
    export const bull: typeof RequestQueueBullModule = RequestQueueBullModule;
    export const testing = [RequestQueueTestingModule.forRoot({ ...options, deliverCallbacks: false }), RequestQueueTester];
    export const queued = (tester: RequestQueueTester): QueuedRequest[] => tester.queued();
    // Types, not any: a wrong use is an error.
    // @ts-expect-error the options' driver is a closed list
    export const wrong: RequestQueueModuleOptions = { driver: 'carrier-pigeon' };
  `;

  async function typeCheck(name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>) {
    const dir = join(pkg.dir, name);
    await mkdir(dir, { recursive: true });
    for (const [file, source] of Object.entries(files)) await writeFile(join(dir, file), source);
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        target: 'es2022',
        types: ['node'],
        ...compilerOptions,
      },
      files: Object.keys(files),
    };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    return run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).then(
      () => '',
      (err: Error & { stdout?: string }) => err.stdout || String(err),
    );
  }

  it('type-checks a CommonJS consumer with node10 resolution (typesVersions for the subpaths)', async () => {
    const errors = await typeCheck(
      'node10',
      { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0', esModuleInterop: true },
      { 'consumer.ts': consumer },
    );
    expect(errors).toBe('');
  });

  it('type-checks .cts and .mts consumers with nodenext resolution', async () => {
    const errors = await typeCheck(
      'nodenext',
      { module: 'nodenext', moduleResolution: 'nodenext' },
      { 'consumer.cts': consumer, 'consumer.mts': consumer },
    );
    expect(errors).toBe('');
  });
});
