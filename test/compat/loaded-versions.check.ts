import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Run by test/compat/run.mjs only (not by `npm test`): the copied lib must load exactly the
// versions test/compat/package.json pins, from the scratch install next to the copy.
const pinned = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};
const install = new URL('../../../node_modules/', import.meta.url).pathname;
const fromLib = createRequire(new URL('../../lib/index.ts', import.meta.url));

/** The package folder Node's lookup finds from lib/ (`<name>/package.json` may be hidden by `exports`). */
function located(name: string): { dir: string; version: string } {
  const base = (fromLib.resolve.paths(name) ?? []).find((d) => existsSync(join(d, name, 'package.json')));
  if (!base) throw new Error(`${name} is not resolvable from lib/`);
  const dir = join(base, name);
  return { dir, version: (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version };
}

describe('test:compat runs on the pinned low versions', () => {
  it.each(Object.entries(pinned.dependencies))('%s is %s, from the scratch install', (name, version) => {
    const { dir, version: actual } = located(name);
    expect(dir.startsWith(install)).toBe(true);
    expect(actual).toBe(version);
  });

  it('the typeorm the copied lib loads is the pinned one', async () => {
    const { dir } = located('typeorm');
    expect(fromLib.resolve('typeorm').startsWith(dir)).toBe(true);
    const { DataSource } = await import('typeorm');
    const own = fromLib('typeorm') as typeof import('typeorm');
    expect(DataSource).toBe(own.DataSource);
    expect(located('typeorm').version).toBe(pinned.dependencies.typeorm);
  });
});
