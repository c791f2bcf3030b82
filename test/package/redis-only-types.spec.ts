import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/support/build.js';
import { run } from './support/packed-package.js';

/**
 * The package's public types need only the peers of the store an app uses: an app on the
 * Redis driver type-checks (with `skipLibCheck: false`, so the package's .d.ts files are
 * checked too) in a folder where TypeORM is not installed. The folder is outside the
 * repository, so nothing finds the repository's node_modules; it holds a copy of the built
 * package and links to the few packages such an app has.
 */

/** What a Redis app has installed besides this package (and what those need for their types). */
const INSTALLED = [
  '@nestjs/common',
  '@nestjs/core',
  'reflect-metadata',
  'rxjs',
  'bull',
  'ioredis',
  '@ioredis/commands',
  '@types/node',
  'undici-types',
  // the package's own dependencies
  'commander',
  'ipaddr.js',
  'standardwebhooks',
  'undici',
];

const NEWEST_SOURCE_DIRS = ['lib', 'migrations'];

/** The newest mtime of a .ts file under the given folders of the repository. */
async function newestSource(): Promise<number> {
  let newest = 0;
  for (const top of NEWEST_SOURCE_DIRS) {
    for (const file of await readdir(join(ROOT, top), { recursive: true })) {
      if (file.endsWith('.ts')) newest = Math.max(newest, statSync(join(ROOT, top, file)).mtimeMs);
    }
  }
  return newest;
}

/** dist/ as `npm run build` makes it: reused when it is newer than every source, built otherwise. */
async function ensureBuild(): Promise<void> {
  const marker = join(ROOT, 'dist/lib/index.d.mts');
  if (existsSync(marker) && statSync(marker).mtimeMs > (await newestSource())) return;
  await run('npm', ['run', 'build'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
}

const REDIS_APP = `
  import { Module } from '@nestjs/common';
  import {
    RequestQueueModule,
    QueueableRequest,
    runRequestQueueWorker,
    type RequestQueueModuleOptions,
  } from 'nestjs-request-queue';
  import { RequestQueueTestingModule } from 'nestjs-request-queue/testing';

  const options: RequestQueueModuleOptions = {
    driver: 'redis',
    baseUrl: 'http://127.0.0.1:3000',
    redis: { url: 'redis://127.0.0.1:6379', options: { connectTimeout: 1_000 }, prefix: '{rq}' },
  };

  @QueueableRequest({ tries: 5 })
  export class UserController {}

  @Module({ imports: [RequestQueueModule.forRoot(options)], controllers: [UserController] })
  export class AppModule {}

  export const testing = RequestQueueTestingModule.forRoot({ ...options, deliverCallbacks: false });
  export const start = () => runRequestQueueWorker(AppModule, { exit: false });
`;

describe('the public types for an app on the Redis driver', () => {
  let dir: string;

  beforeAll(async () => {
    await ensureBuild();
    dir = await mkdtemp(join(tmpdir(), 'redis-only-consumer-'));
    const modules = join(dir, 'node_modules');
    const installed = join(modules, 'nestjs-request-queue');
    await mkdir(installed, { recursive: true });
    // A copy (a link would resolve to the repository, whose node_modules has TypeORM).
    await cp(join(ROOT, 'package.json'), join(installed, 'package.json'));
    await cp(join(ROOT, 'dist'), join(installed, 'dist'), {
      recursive: true,
      filter: (source) => !source.endsWith('.map'),
    });
    for (const name of INSTALLED) {
      await mkdir(dirname(join(modules, name)), { recursive: true });
      await symlink(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
    }
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'redis-only-consumer', private: true }));
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('type-checks with skipLibCheck off and no TypeORM installed', async () => {
    expect(() => createRequire(join(dir, 'package.json')).resolve('typeorm')).toThrow(/Cannot find module/);
    await writeFile(join(dir, 'app.ts'), REDIS_APP);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          experimentalDecorators: true,
          types: ['node'],
        },
        files: ['app.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const errors = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).then(
      () => '',
      (err: { stdout?: string; message?: string }) => err.stdout || err.message || 'tsc failed without output',
    );
    expect(errors).toBe('');
  }, 300_000); // skipLibCheck off: tsc checks every declaration file of Nest, ioredis and Node too
});
