import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, tail, type ProcessResult } from './processes.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Installed `node_modules` of each fixture, reused while its lock file does not change. */
const CACHE = join(ROOT, 'var', 'consumer');

/** Variables of this test run that must not leak into a generated app's processes. */
const INHERITED_NOT = [
  /^VITEST/,
  /^npm_/,
  /^NODE_OPTIONS$/,
  /^NODE_ENV$/,
  /^TEST$/,
  /^JEST_/,
  /^INIT_CWD$/,
  /^REQUEST_QUEUE_/,
  /^(REDIS_URL|DATABASE_URL|PORT|HTTP_ADAPTER)$/,
];

/** The environment of a process a user would start by hand: this one's, minus test-runner and library variables. */
export function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !INHERITED_NOT.some((re) => re.test(key))) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Null when npm reaches its registry; otherwise why not (the only reason this test may skip). */
export async function registryProblem(): Promise<string | null> {
  const r = await run('npm ping', 'npm', ['ping'], { cwd: tmpdir(), env: userEnv(), timeoutMs: 30_000 });
  if (r.code === 0) return null;
  return `npm cannot reach its registry (npm ping: ${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${tail(r.output, 5)}`;
}

export interface Timing {
  step: string;
  ms: number;
}
export const timings: Timing[] = [];

/** Runs a command and records how long it took. */
export async function timed(
  step: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<ProcessResult> {
  const r = await run(step, command, args, options);
  timings.push({ step, ms: r.ms });
  return r;
}

/** Throws with the command's output when it did not exit 0. */
export function expectSuccess(what: string, r: ProcessResult): ProcessResult {
  if (r.code !== 0) {
    throw new Error(
      `${what} ${r.timedOut ? 'timed out' : `exited ${r.code ?? r.signal}`} after ${r.ms} ms:\n${tail(r.output, 80)}`,
    );
  }
  return r;
}

export interface PackedLibrary {
  tarball: string;
  /** Paths inside the tarball, without the `package/` prefix. */
  files: string[];
  /** Files `package.json` points at (main, types, exports, bin) that the tarball lacks. */
  missing: string[];
  /** What a publisher would trip over, e.g. no prepack script. */
  notes: string[];
}

function pointedAt(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value.replace(/^\.\//, ''));
  else if (value && typeof value === 'object') for (const v of Object.values(value)) pointedAt(v, into);
}

/** What a clean checkout does not have: left out of the copy that is packed. */
const NOT_PACKED_FROM = new Set(['.git', 'node_modules', 'var', 'dist', 'dist-sample', 'dist-bench', 'coverage']);

/**
 * `npm pack` as a publisher runs it (its `prepack` script builds), in a copy of this
 * repository under `dest` (node_modules linked): the build writes the copy's dist/, never
 * the repository's, so other test files packing or building at the same time are not
 * disturbed. Without a `prepack` script the copy is built first, and a note says so.
 */
export async function packLibrary(dest: string): Promise<PackedLibrary> {
  const source = join(dest, 'source');
  const started = Date.now();
  await mkdir(source);
  for (const entry of await readdir(ROOT)) {
    if (!NOT_PACKED_FROM.has(entry)) await cp(join(ROOT, entry), join(source, entry), { recursive: true });
  }
  await symlink(await realpath(join(ROOT, 'node_modules')), join(source, 'node_modules'));
  timings.push({ step: 'copy of the repository to pack', ms: Date.now() - started });
  const pkg = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) as {
    main?: string;
    types?: string;
    exports?: unknown;
    bin?: unknown;
    scripts?: Record<string, string>;
  };
  const notes: string[] = [];
  const env = userEnv();
  if (!pkg.scripts?.prepack) {
    notes.push(
      'package.json has no prepack script: `npm pack` packs whatever dist/ holds; built with `npm run build` first',
    );
    expectSuccess(
      'npm run build',
      await timed('npm run build (library)', 'npm', ['run', 'build'], { cwd: source, env, timeoutMs: 300_000 }),
    );
  }
  expectSuccess(
    'npm pack',
    await timed('npm pack (prepack builds)', 'npm', ['pack', '--pack-destination', dest], {
      cwd: source,
      env,
      timeoutMs: 300_000,
    }),
  );
  const tgz = (await readdir(dest)).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`npm pack left ${tgz.length} tarballs in ${dest}`);
  const tarball = join(dest, tgz[0]!);
  const listing = expectSuccess(
    'tar',
    await run('tar', 'tar', ['-tzf', tarball], { cwd: dest, env, timeoutMs: 60_000 }),
  );
  const files = listing.stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  const wanted: string[] = [];
  pointedAt([pkg.main, pkg.types, pkg.exports, pkg.bin], wanted);
  const missing = [...new Set(wanted)].filter((f) => !f.includes('*') && !files.includes(f));
  return { tarball, files, missing, notes };
}

export interface Fixture {
  /** Folder under test/consumer/fixtures (the generated app is in its `app/`). */
  name: 'nest11-cjs' | 'nest12-esm';
  /**
   * How the generated dependencies are installed from the fixture's lock: `npm ci`, or
   * `npm install` where `npm ci` refuses the generator's lock (see the fixture's README).
   */
  install: 'ci' | 'install';
  /** What the user adds with `npm install`: the packed library is added to these. */
  packages: string[];
}

export interface PreparedApp {
  dir: string;
  /** Installed versions of Nest, the library and the fixture's packages, for the log. */
  versions: Record<string, string>;
  /** Removes the app's temporary folder. */
  remove(): Promise<void>;
}

const NPM_QUIET = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/**
 * The fixture's locked dependencies, installed once into `var/consumer/<fixture>-<hash>/`
 * (the hash covers package.json, the lock and the install command) and reused by later runs.
 */
async function cachedModules(fixture: Fixture): Promise<string> {
  const app = join(HERE, 'fixtures', fixture.name, 'app');
  const manifest = await readFile(join(app, 'package.json'));
  const lock = await readFile(join(app, 'package-lock.json'));
  const hash = createHash('sha256')
    .update(manifest)
    .update(lock)
    .update(fixture.install)
    .update(process.version)
    .digest('hex')
    .slice(0, 12);
  const dir = join(CACHE, `${fixture.name}-${hash}`);
  if (existsSync(join(dir, 'done'))) {
    timings.push({ step: `${fixture.name}: locked dependencies (cached in var/consumer)`, ms: 0 });
    return join(dir, 'node_modules');
  }
  await mkdir(CACHE, { recursive: true });
  for (const old of await readdir(CACHE)) {
    // Another lock's install of this fixture, or a half-done install left by a killed run.
    const stale =
      old.startsWith(`${fixture.name}-`) ||
      (old.startsWith(`tmp-${fixture.name}-`) && Date.now() - (await stat(join(CACHE, old))).mtimeMs > 3600_000);
    if (stale) await rm(join(CACHE, old), { recursive: true, force: true });
  }
  const work = join(CACHE, `tmp-${fixture.name}-${randomBytes(4).toString('hex')}`);
  await mkdir(work);
  try {
    await writeFile(join(work, 'package.json'), manifest);
    await writeFile(join(work, 'package-lock.json'), lock);
    expectSuccess(
      `npm ${fixture.install} (${fixture.name})`,
      await timed(
        `${fixture.name}: npm ${fixture.install} from the fixture lock (cold)`,
        'npm',
        [fixture.install, ...NPM_QUIET],
        {
          cwd: work,
          env: userEnv(),
          timeoutMs: 900_000,
        },
      ),
    );
    await writeFile(join(work, 'done'), new Date().toISOString());
    await rename(work, dir).catch(async () => {
      if (!existsSync(join(dir, 'done'))) throw new Error(`could not move ${work} to ${dir}`);
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return join(dir, 'node_modules');
}

/**
 * A fresh copy of the generated app in a temporary folder outside the repository (so that
 * nothing resolves from the repository's own node_modules), with the user's files laid on
 * top (`test/consumer/app-files/<fixture>/`), the locked dependencies, and then the packed
 * library and the fixture's packages installed as a user would (`npm install`).
 */
export async function prepareApp(fixture: Fixture, tarball: string): Promise<PreparedApp> {
  const modules = await cachedModules(fixture);
  const parent = await mkdtemp(join(tmpdir(), 'rq-consumer-'));
  const dir = join(parent, fixture.name);
  const remove = () => rm(parent, { recursive: true, force: true });
  try {
    await cp(join(HERE, 'fixtures', fixture.name, 'app'), dir, { recursive: true });
    await cp(join(HERE, 'app-files', fixture.name), dir, { recursive: true, force: true });
    const started = Date.now();
    // Hard links: a copy of ~30 000 files in a second. npm replaces what it changes rather than
    // writing into it, except its own record of the tree, which gets a copy of its own.
    const linked = await run('cp -al', 'cp', ['-al', modules, join(dir, 'node_modules')], {
      cwd: dir,
      env: userEnv(),
      timeoutMs: 300_000,
    });
    if (linked.code !== 0) {
      await rm(join(dir, 'node_modules'), { recursive: true, force: true });
      await cp(modules, join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    }
    const record = join(dir, 'node_modules', '.package-lock.json');
    if (existsSync(record)) {
      const content = await readFile(record);
      await rm(record);
      await writeFile(record, content);
    }
    timings.push({ step: `${fixture.name}: copy node_modules from the cache`, ms: Date.now() - started });
    expectSuccess(
      `npm install ${fixture.packages.join(' ')}`,
      await timed(
        `${fixture.name}: npm install --no-save <tarball> ${fixture.packages.join(' ')}`,
        'npm',
        ['install', '--no-save', ...NPM_QUIET, tarball, ...fixture.packages],
        { cwd: dir, env: userEnv(), timeoutMs: 600_000 },
      ),
    );
    const versions: Record<string, string> = {};
    const names = ['@nestjs/core', 'nestjs-request-queue', ...fixture.packages.map((p) => p.replace(/(?<=.)@.*$/, ''))];
    for (const pkg of names) {
      const manifest = join(dir, 'node_modules', pkg, 'package.json');
      versions[pkg] = existsSync(manifest)
        ? (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version
        : 'missing';
    }
    return { dir, versions, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** The app files the README shows, by path: each ```ts block after a `<!-- consumer-file: path -->` line. */
export async function readmeConsumerFiles(): Promise<Map<string, string>> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const files = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- consumer-file: (\S+) -->\s*```ts\n([\s\S]*?)```/g)) files.set(m[1]!, m[2]!);
  return files;
}

/** Where the files a user adds to each fixture live. */
export const APP_FILES = join(HERE, 'app-files');
