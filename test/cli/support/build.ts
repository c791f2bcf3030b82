import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface TestBuild {
  /** The compiled `request-queue` bin. */
  cli: string;
  /** The compiled sample worker (what `nest start worker` runs). */
  sampleWorker: string;
  remove(): Promise<void>;
}

/**
 * Compiles the bin and the sample worker (and what they import) with tsc into a folder of
 * this test's own under `var/`, so tests never depend on a stale or half-rebuilt `dist/`.
 * It sits inside the repository so that Node finds `node_modules` from it.
 */
export async function buildForTests(): Promise<TestBuild> {
  const dir = join(ROOT, 'var', 'test-build', randomUUID().slice(0, 8));
  await mkdir(dir, { recursive: true });
  const tsconfig = join(dir, 'tsconfig.json');
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { outDir: join(dir, 'out'), rootDir: ROOT, declaration: false, sourceMap: false, noEmitOnError: false, incremental: false },
      files: [join(ROOT, 'lib/cli/main.ts'), join(ROOT, 'sample-app/worker.ts')],
      include: [],
    }),
  );
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  // Type errors elsewhere in a tree others are editing must not stop the emit: tsc still
  // writes the files, and the tests below fail on their own if the CLI is broken.
  await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig]).catch(() => {});
  return {
    cli: join(dir, 'out/lib/cli/main.js'),
    sampleWorker: join(dir, 'out/sample-app/worker.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
