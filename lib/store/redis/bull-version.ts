import { RequestQueueConfigError } from '../../request-queue.options.js';

/**
 * The bull releases the redis driver is tested on: `test/bull/bull-parity.spec.ts` and
 * `bull-internals.spec.ts` check the job layout `enqueue.lua.ts` writes and the `Queue`
 * internals `bull-loop.ts` drives, by `npm test` on the newest and by `npm run test:compat`
 * on the oldest. The peer range in package.json says the same.
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

/** The installed bull's version (from its package.json, as the driver's own import resolves it). */
export async function installedBullVersion(): Promise<string | undefined> {
  // Not a literal specifier: the JSON import then needs no import attribute (the CommonJS build
  // turns it into `require()`, the test runner resolves it itself).
  const specifier = 'bull/package.json';
  try {
    const pkg = (await import(specifier)) as { version?: unknown; default?: { version?: unknown } };
    const version = pkg.version ?? pkg.default?.version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined; // e.g. an `exports` map that hides package.json: not a bull 4
  }
}

let checked: Promise<void> | undefined;

/** `checkBullVersion` on the installed bull, once per process. */
export function assertTestedBull(): Promise<void> {
  checked ??= installedBullVersion().then(checkBullVersion);
  return checked;
}
