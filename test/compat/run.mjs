#!/usr/bin/env node
// npm run test:compat [-- --json <file>] [--no-tsc]
//
// Runs the store conformance and end-to-end suites on the LOWEST versions the peer ranges admit
// (test/compat/package.json pins them exactly). The install lives in var/compat/<hash>/node_modules,
// keyed by the hash of test/compat/package.json + package-lock.json + the Node ABI, so only the
// first run after a lock change installs. The sources are copied (not linked) into
// var/compat/<hash>/work: Node and vite resolve bare imports from a file's real path, and a link
// back into the repository would load the repository's own (newest) node_modules instead.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = resolve(jsonAt >= 0 && args[jsonAt + 1] ? args[jsonAt + 1] : join(repo, 'var/compat/report.json'));

/** What is copied into the scratch folder (fresh on every run: it is small). */
const SOURCES = ['lib', 'migrations', 'test', 'sample-app', 'tsconfig.json', 'vitest.config.ts'];
/** The suites run on the low versions, plus the check that they really are loaded. */
const SUITES = [
  'test/store',
  'test/e2e',
  'test/bull', // @nestjs/bull
  'test/cli/events.spec.ts', // @nestjs/event-emitter
  'test/compat',
];
/**
 * Left to `npm test`: suites whose subject is the library's own loop, not a peer's behaviour,
 * and that are long (several worker processes killed and restarted per store).
 */
const EXCLUDED = ['test/store/poison-isolation.spec.ts'];

const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const log = (line) => console.log(`[test:compat] ${line}`);

function run(command, argv, cwd, extraEnv = {}, stdio = 'inherit') {
  const result = spawnSync(command, argv, {
    cwd,
    stdio,
    env: { ...process.env, ...extraEnv },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout ?? '' };
}

/**
 * The repository's own node_modules (and where its link points): the scratch folder sits
 * below it, so anything missing from the scratch install would be found there.
 */
const repoModules = join(repo, 'node_modules');
const hidden = [repoModules, ...(existsSync(repoModules) ? [realpathSync(repoModules)] : [])].map((d) => `${d}/`);
const isHidden = (file) => hidden.some((dir) => file.startsWith(dir));

// 1. The install, reused while the lock (and Node's native ABI, for better-sqlite3) is unchanged.
const manifest = readFileSync(join(here, 'package.json'));
const lock = readFileSync(join(here, 'package-lock.json'));
const hash = createHash('sha256')
  .update(manifest)
  .update(lock)
  .update(`node-abi-${process.versions.modules}`)
  .digest('hex')
  .slice(0, 16);
const root = join(repo, 'var/compat');
const base = join(root, hash);
const installed = join(base, 'node_modules/.compat-installed');
mkdirSync(root, { recursive: true });
for (const entry of readdirSync(root, { withFileTypes: true })) {
  // Installs of older locks: a few hundred MB each, never used again.
  if (entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name) && entry.name !== hash) {
    rmSync(join(root, entry.name), { recursive: true, force: true });
  }
}
if (existsSync(installed)) {
  log(`reusing the install in ${relative(repo, base)} (lock unchanged)`);
} else {
  log(`installing the low-end versions into ${relative(repo, base)}`);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  writeFileSync(join(base, 'package.json'), manifest);
  writeFileSync(join(base, 'package-lock.json'), lock);
  const { status } = run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], base);
  if (status !== 0) {
    log(`npm ci failed (${status})`);
    process.exit(status);
  }
  writeFileSync(installed, `${new Date().toISOString()}\n`);
  log(`installed in ${seconds()}`);
}

// 2. The sources, copied under the install so every bare import resolves to var/compat/<hash>/node_modules.
const work = join(base, 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work);
for (const name of SOURCES) cpSync(join(repo, name), join(work, name), { recursive: true, dereference: true });

// 3. Which versions the copied lib really loads: each pinned package must resolve inside the
//    scratch install (not the repository's node_modules) at exactly the pinned version.
const pinned = JSON.parse(manifest.toString());
const wanted = { ...pinned.dependencies, ...pinned.devDependencies };
const fromLib = createRequire(join(work, 'lib/index.ts'));
const problems = [];
const loaded = {};
for (const [name, version] of Object.entries(wanted)) {
  // Node's own lookup (`<name>/package.json` is not importable where `exports` hides it).
  const dir = (fromLib.resolve.paths(name) ?? []).find((d) => existsSync(join(d, name, 'package.json')));
  if (!dir) {
    problems.push(`${name}: not resolvable from the copied lib`);
    continue;
  }
  const file = join(dir, name, 'package.json');
  const actual = JSON.parse(readFileSync(file, 'utf8')).version;
  loaded[name] = actual;
  if (!file.startsWith(join(base, 'node_modules') + '/'))
    problems.push(`${name}: resolved outside the install (${file})`);
  else if (actual !== version) problems.push(`${name}: ${actual} loaded, ${version} pinned`);
}
// The peer ranges start exactly where this run is: every lower bound is the version tested here.
const semver = createRequire(join(base, 'package.json'))('semver');
const peers = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).peerDependencies ?? {};
for (const [name, range] of Object.entries(peers)) {
  const lowest = semver.minVersion(range)?.version;
  if (!wanted[name]) problems.push(`${name}: a peer (${range}) that test/compat/package.json does not pin`);
  else if (lowest !== wanted[name])
    problems.push(`${name}: the peer range ${range} starts at ${lowest}, not ${wanted[name]}`);
}
const shown = ['@nestjs/core', 'typeorm', 'ioredis', 'bull', 'mysql2', 'pg', 'better-sqlite3', '@nestjs/typeorm'];
log(`loaded from ${relative(repo, join(base, 'node_modules'))}: ${shown.map((n) => `${n} ${loaded[n]}`).join(', ')}`);
if (problems.length > 0) {
  for (const problem of problems) log(`version check: ${problem}`);
  process.exit(1);
}

// 4. lib type-checks against the low versions' typings.
writeFileSync(
  join(work, 'tsconfig.compat.json'),
  JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, include: ['lib'] }, null, 2),
);
if (!args.includes('--no-tsc')) {
  log('tsc --noEmit on lib');
  const tsc = run(join(base, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.compat.json', '--listFiles'], work, {}, [
    'ignore',
    'pipe',
    'inherit',
  ]);
  const listed = tsc.stdout.split('\n').filter((line) => line.startsWith('/'));
  process.stdout.write(
    tsc.stdout
      .split('\n')
      .filter((line) => line && !line.startsWith('/'))
      .map((l) => `${l}\n`)
      .join(''),
  );
  const leaked = listed.filter(isHidden);
  if (leaked.length > 0) {
    log(`tsc read typings from the repository's node_modules, not the scratch install:`);
    for (const file of leaked) log(`  ${file}`);
    process.exit(1);
  }
  if (tsc.status !== 0) {
    log(`lib does not type-check against the low versions (tsc exit ${tsc.status})`);
    process.exit(tsc.status);
  }
}

// 5. The suites, with a JSON report for CI to add up.
mkdirSync(dirname(jsonFile), { recursive: true });
rmSync(jsonFile, { force: true });
log(`vitest run ${SUITES.join(' ')}`);
const hiddenLog = join(base, 'hidden-lookups.log');
rmSync(hiddenLog, { force: true });
const { status } = run(
  join(base, 'node_modules/.bin/vitest'),
  [
    'run',
    '--config',
    'test/compat/vitest.config.mjs',
    ...SUITES,
    ...EXCLUDED.map((file) => `--exclude=${file}`),
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${jsonFile}`,
  ],
  work,
  {
    // The suites skip a store whose server is unreachable unless CI is set: here that must fail.
    CI: process.env.CI || 'true',
    // Every vitest process (workers included) treats the repository's node_modules as absent.
    NODE_OPTIONS: [
      process.env.NODE_OPTIONS,
      `--import=${pathToFileURL(join(work, 'test/compat/hide-repo-modules.mjs'))}`,
    ]
      .filter(Boolean)
      .join(' '),
    RQ_COMPAT_HIDE: JSON.stringify(hidden),
    RQ_COMPAT_HIDDEN_LOG: hiddenLog,
  },
);
if (existsSync(hiddenLog)) {
  const lookups = [...new Set(readFileSync(hiddenLog, 'utf8').split('\n').filter(Boolean))];
  log(`lookups that fell through to the repository's node_modules (answered "not found"): ${lookups.length}`);
  for (const line of lookups) log(`  ${line}`);
}
let summary = 'no report';
if (existsSync(jsonFile)) {
  const report = JSON.parse(readFileSync(jsonFile, 'utf8'));
  // A file that failed to load has no failed test of its own: count it as one.
  const unloaded = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  summary = `${report.numPassedTests} passed, ${report.numFailedTests + unloaded} failed`;
}
log(`done in ${seconds()} (vitest exit ${status})`);
log(summary); // .ci/run prints the closing line for both suites
process.exit(status);
