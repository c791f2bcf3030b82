import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../cli/support/build.js';

export const run = promisify(execFile);

/** One file of `npm pack --json`. */
export interface PackedFile {
  path: string;
  mode: number;
}

export interface PackedPackage {
  /** A folder of its own inside var/ (so Node and tsc find the repository's node_modules from it). */
  dir: string;
  /** Where the tarball is unpacked, as `npm install` would put it. */
  installed: string;
  files: PackedFile[];
  remove(): Promise<void>;
}

/**
 * `npm pack` of the repository as it is (prepack runs `npm run build`, so dist/ is fresh
 * even when absent), unpacked into `<dir>/node_modules/nestjs-request-queue`: what an app
 * gets from `npm install`, with the peers (Nest, TypeORM, Bull) found in the repository's
 * node_modules further up.
 */
export async function packAndInstall(): Promise<PackedPackage> {
  const dir = join(ROOT, 'var', 'test-package', randomUUID().slice(0, 8));
  const installed = join(dir, 'node_modules', 'nestjs-request-queue');
  await mkdir(installed, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  // The report is the JSON array on stdout (skip anything a lifecycle script printed before it).
  const [report] = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as { filename: string; files: PackedFile[] }[];
  if (!report) throw new Error(`npm pack reported no package: ${stdout}`);
  await run('tar', ['-xzf', join(dir, report.filename), '-C', installed, '--strip-components=1']);
  // A package of its own: inside the repository's package scope, require('nestjs-request-queue')
  // would find the repository itself (a package may import itself by name), not the install.
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'package-test-consumer', private: true }));
  return { dir, installed, files: report.files, remove: () => rm(dir, { recursive: true, force: true }) };
}
