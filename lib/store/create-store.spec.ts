import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RequestQueueConfigError } from '../request-queue.options.js';
import { importDriver, sqlDriverPackage } from './create-store.js';

/**
 * What a missing driver package turns into, with the errors Node itself throws: the
 * published package is CommonJS (`MODULE_NOT_FOUND`), an ESM build says `ERR_MODULE_NOT_FOUND`.
 */
const ABSENT = 'request-queue-absent-driver';
const requireHere = createRequire(import.meta.url);
/** The error Node's own ESM loader throws for `import(specifier)` (the test runner has its own). */
function esmImportError(specifier: string): Error {
  const script = `import(${JSON.stringify(specifier)}).catch((e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const { code, message } = JSON.parse(out) as { code: string; message: string };
  return Object.assign(new Error(message), { code });
}

async function errorOf(load: () => unknown): Promise<Error> {
  try {
    await load();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the load to fail');
}

describe('importDriver', () => {
  it('names the install command when require() misses one of the driver packages (CommonJS)', async () => {
    const err = await errorOf(() => importDriver(async () => requireHere(ABSENT) as unknown, ['typeorm', ABSENT]));
    expect(err).toBeInstanceOf(RequestQueueConfigError);
    expect(err.message).toBe(`this driver needs the packages 'typeorm ${ABSENT}': npm install typeorm ${ABSENT}`);
  });

  it('names the install command when import() misses one of the driver packages (ESM)', async () => {
    const cause = esmImportError(ABSENT);
    expect((cause as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
    const err = await errorOf(() => importDriver(() => Promise.reject(cause), ['bull', ABSENT]));
    expect(err).toBeInstanceOf(RequestQueueConfigError);
    expect(err.message).toBe(`this driver needs the packages 'bull ${ABSENT}': npm install bull ${ABSENT}`);
  });

  it('counts a missing subpath of a driver package as that package missing', async () => {
    const err = await errorOf(() => importDriver(async () => requireHere(`${ABSENT}/lib/x.js`) as unknown, [ABSENT]));
    expect(err).toBeInstanceOf(RequestQueueConfigError);
  });

  it('rethrows a missing module that is not one of the driver packages', async () => {
    const cjs = await errorOf(() => importDriver(async () => requireHere('./no-such-store.js') as unknown, [ABSENT]));
    expect(cjs).not.toBeInstanceOf(RequestQueueConfigError);
    expect((cjs as { code?: string }).code).toBe('MODULE_NOT_FOUND');

    const other = esmImportError('request-queue-other-absent');
    const esm = await errorOf(() => importDriver(() => Promise.reject(other), [ABSENT]));
    expect(esm).toBe(other);

    const file = esmImportError(pathToFileURL(`/nonexistent/${ABSENT}/index.js`).href);
    expect((file as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
    expect(await errorOf(() => importDriver(() => Promise.reject(file), [ABSENT]))).toBe(file);
  });

  it('rethrows any other error as is', async () => {
    const boom = new Error('boom');
    expect(await errorOf(() => importDriver(() => Promise.reject(boom), [ABSENT]))).toBe(boom);
  });
});

describe('sqlDriverPackage', () => {
  const database = (given: object) => ({
    migrationsRun: false,
    retryAfter: 90_000,
    sleep: 1000,
    commandTimeout: 2000,
    ...given,
  });

  it('names the package TypeORM needs for the database, so one install fixes both', () => {
    expect(sqlDriverPackage(database({ url: 'mysql://root@db/app' }))).toEqual(['mysql2']);
    expect(sqlDriverPackage(database({ url: 'mariadb://root@db/app' }))).toEqual(['mysql2']);
    expect(sqlDriverPackage(database({ url: 'postgres://u@db/app' }))).toEqual(['pg']);
    expect(sqlDriverPackage(database({ url: 'postgresql://u@db/app' }))).toEqual(['pg']);
    expect(sqlDriverPackage(database({ url: 'sqlite:./var/q.sqlite' }))).toEqual(['better-sqlite3']);
    expect(sqlDriverPackage(database({ options: { type: 'postgres' } }))).toEqual(['pg']);
    expect(sqlDriverPackage(database({ dataSource: {} }))).toEqual([]);
  });

  it('lists it with typeorm in the message when typeorm is missing', async () => {
    const missing = Object.assign(new Error("Cannot find module 'typeorm'"), { code: 'MODULE_NOT_FOUND' });
    const err = await errorOf(() =>
      importDriver(
        () => Promise.reject(missing),
        ['typeorm', ...sqlDriverPackage(database({ url: 'postgres://db/x' }))],
      ),
    );
    expect(err).toBeInstanceOf(RequestQueueConfigError);
    expect(err.message).toBe("this driver needs the packages 'typeorm pg': npm install typeorm pg");
  });
});
