import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RequestQueueConfigError, type RequestQueueModuleOptions } from '../request-queue.options.js';

/**
 * Node's own `import()`, kept as is in the CommonJS build (where TypeScript would turn a
 * literal `import()` into `require()`), so a configuration file may be CommonJS or ESM.
 */
const nativeImport = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<Record<string, unknown>>;

/**
 * Loads a module file with Node's `import()`. Inside a VM context without an import hook
 * (a test runner's sandbox) that is unavailable, and the file is loaded by the runner's
 * own `import()` (`require()` in the CommonJS build: Node >= 20.19 requires ESM too).
 */
async function importFile(path: string): Promise<Record<string, unknown>> {
  try {
    return await nativeImport(pathToFileURL(path).href);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw err;
    return (await import(path)) as Record<string, unknown>;
  }
}

/**
 * Reads the options of a configuration file, as TypeORM's `-d data-source.js`: a compiled
 * JavaScript module (CommonJS or ESM) whose default export (or `module.exports`) is the
 * `RequestQueueModule` options, or a function, possibly async, that returns them. The same
 * file (or function) feeds `RequestQueueModule.forRoot()`, so the API, its workers and the
 * `request-queue` command run with one configuration.
 */
export async function loadConfigFile(file: string, cwd: string = process.cwd()): Promise<RequestQueueModuleOptions> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) {
    throw new RequestQueueConfigError(`configuration file not found: ${path}`);
  }
  if (['.ts', '.mts', '.cts'].includes(extname(path))) {
    throw new RequestQueueConfigError(
      `${file} is TypeScript: point --config at the compiled file (e.g. dist/request-queue.config.js), as TypeORM's -d`,
    );
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = await importFile(path);
  } catch (err) {
    throw new RequestQueueConfigError(`cannot load the configuration file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!('default' in loaded)) throw noDefaultExport(path, Object.keys(loaded));
  let value: unknown = loaded.default;
  // A CommonJS file compiled from TypeScript exports `{ __esModule: true, default?, …named }`.
  if (isObject(value) && value.__esModule === true) {
    if (!('default' in value))
      throw noDefaultExport(
        path,
        Object.keys(value).filter((k) => k !== '__esModule'),
      );
    value = value.default;
  }
  if (typeof value === 'function') {
    try {
      value = await (value as () => unknown)();
    } catch (err) {
      throw new RequestQueueConfigError(`the configuration function of ${path} threw: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (!isObject(value) || Array.isArray(value)) {
    throw new RequestQueueConfigError(
      `${path} must export the request queue options (an object) or a function returning them, as its default export (got ${describe(value)})`,
    );
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function noDefaultExport(path: string, names: string[]): RequestQueueConfigError {
  const found = names.length ? ` (it exports ${names.join(', ')})` : '';
  return new RequestQueueConfigError(
    `${path} has no default export${found}: export the options or a function returning them as default (export default / module.exports)`,
  );
}
