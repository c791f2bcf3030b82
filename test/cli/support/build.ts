import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BUILDS = join(ROOT, 'var', 'test-build');
const KEEP_MS = 24 * 3600_000;

export interface TestBuild {
  /** The compiled `request-queue` bin. */
  cli: string;
  /** The compiled sample worker (what `nest start worker` runs). */
  sampleWorker: string;
  /** Nothing to do for a build shared by content (kept for other test files); kept for symmetry. */
  remove(): Promise<void>;
}

/**
 * Compiles the bin and the sample worker (and what they import) with tsc, to CommonJS as the
 * package ships the bin, into `var/`, so
 * tests never depend on a stale or half-rebuilt `dist/` or `dist-sample/`. The folder is named after a hash
 * of the sources: test files of one run share one build, and a change makes a new one.
 * It sits inside the repository so that Node finds `node_modules` from it.
 */
export async function buildForTests(): Promise<TestBuild> {
  const hash = await sourcesHash();
  const dir = join(BUILDS, hash);
  const result: TestBuild = {
    cli: join(dir, 'out/lib/cli/main.js'),
    sampleWorker: join(dir, 'out/sample-app/worker.js'),
    remove: async () => {},
  };
  if (existsSync(join(dir, 'done'))) return result;

  await mkdir(BUILDS, { recursive: true });
  await removeOldBuilds();
  const work = join(BUILDS, `tmp-${randomUUID().slice(0, 8)}`);
  await mkdir(work);
  const tsconfig = join(work, 'tsconfig.json');
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: {
        // CommonJS, as the package ships the bin (see tsconfig.cjs.json).
        module: 'commonjs',
        moduleResolution: 'bundler',
        outDir: join(work, 'out'),
        rootDir: ROOT,
        declaration: false,
        sourceMap: false,
        noEmitOnError: false,
        incremental: false,
      },
      files: [join(ROOT, 'lib/cli/main.ts'), join(ROOT, 'sample-app/worker.ts')],
      include: [],
    }),
  );
  // A type error elsewhere in a tree others are editing must not stop the emit: tsc still
  // writes the files, and the tests fail on their own if the CLI is broken.
  // tsc as Node resolves it from the repository (test:compat's copy finds its own install above it).
  const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig]).catch(() => {});
  if (!existsSync(join(work, 'out', 'lib/cli/main.js'))) throw new Error(`tsc emitted no CLI build in ${work}`);
  await writeFile(join(work, 'out', 'package.json'), JSON.stringify({ type: 'commonjs' }));
  await writeFile(join(work, 'done'), '');
  try {
    await rename(work, dir);
  } catch {
    await rm(work, { recursive: true, force: true }); // another test file built the same sources first
  }
  return result;
}

async function sourcesHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const top of ['lib', 'sample-app']) {
    for (const file of (await readdir(join(ROOT, top), { recursive: true })).sort()) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
      hash.update(file).update(await readFile(join(ROOT, top, file)));
    }
  }
  hash.update(await readFile(join(ROOT, 'tsconfig.json')));
  hash.update(await readFile(join(ROOT, 'test/cli/support/build.ts')));
  return hash.digest('hex').slice(0, 16);
}

async function removeOldBuilds(): Promise<void> {
  for (const name of await readdir(BUILDS)) {
    const path = join(BUILDS, name);
    const info = await stat(path).catch(() => null);
    if (info && Date.now() - info.mtimeMs > KEEP_MS) await rm(path, { recursive: true, force: true });
  }
}
