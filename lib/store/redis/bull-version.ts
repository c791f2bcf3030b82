import { RequestQueueConfigError } from '../../core/errors.js';

/**
 * The bull releases the redis driver is tested on: `test/bull/bull-parity.spec.ts` and
 * `bull-internals.spec.ts` check the job layout `enqueue.lua.ts` writes and the `Queue`
 * internals `bull-loop.ts` drives, by `npm test` on the newest and by `npm run test:compat`
 * on the oldest (4.0.0; 4.8.5 and 4.12.9 passed too, by hand). The peer range in package.json
 * says the same.
 */
export const TESTED_BULL = { major: 4, minors: [0, 16] as const };
const TESTED = `bull ${TESTED_BULL.major}.${TESTED_BULL.minors[0]} to ${TESTED_BULL.major}.${TESTED_BULL.minors[1]}`;

/**
 * Refuses a bull of another major than the tested one: its job layout or its internals may
 * differ, and jobs would be stranded or mis-run silently. A newer minor of the same major is
 * let through (npm's peer range warns about it at install).
 */
export function checkBullVersion(version: string | undefined): void {
  const major = version === undefined ? NaN : Number(/^(\d+)\./.exec(version)?.[1]);
  if (major === TESTED_BULL.major) return;
  const found = version === undefined ? 'a bull whose version could not be read' : `bull ${version}`;
  throw new RequestQueueConfigError(
    `the redis driver is tested on ${TESTED} and writes Bull ${TESTED_BULL.major}'s job layout itself; ` +
      `${found} is installed: npm install bull@^${TESTED_BULL.major}`,
  );
}

/**
 * Node's own `import()` of a JSON module (kept as is in the CommonJS build, where TypeScript
 * would turn `import()` into `require()` and refuse the attribute).
 */
const importJson = new Function('specifier', "return import(specifier, { with: { type: 'json' } })") as (
  specifier: string,
) => Promise<{ default?: { version?: unknown } }>;

/**
 * The installed bull's version, from its package.json as the driver's own import resolves it:
 * `require()` in the CommonJS build (what the package ships), the test runner's import in
 * tests, and Node's JSON import where these sources run as native ESM (the benchmarks).
 */
export async function installedBullVersion(): Promise<string | undefined> {
  // Not a literal specifier: TypeScript would ask for an import attribute under nodenext.
  const specifier = 'bull/package.json';
  const loaders = [
    () => import(specifier) as Promise<{ version?: unknown; default?: { version?: unknown } }>,
    () => importJson(specifier),
  ];
  for (const load of loaders) {
    try {
      const pkg = (await load()) as { version?: unknown; default?: { version?: unknown } };
      const version = pkg.version ?? pkg.default?.version;
      if (typeof version === 'string') return version;
    } catch {
      // the next loader, or none: an `exports` map that hides package.json is not a bull 4
    }
  }
  return undefined;
}

let checked: Promise<void> | undefined;

/** `checkBullVersion` on the installed bull, once per process. */
export function assertTestedBull(): Promise<void> {
  checked ??= installedBullVersion().then(checkBullVersion);
  return checked;
}
