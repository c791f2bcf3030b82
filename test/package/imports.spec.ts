import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/support/build.js';

const SCRIPT = join(ROOT, 'scripts/check-imports.mjs');

/** Runs the import check on `lib` (the package's own by default): its exit code and output. */
async function checkImports(lib?: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT, ...(lib ? [lib] : [])]);
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('the import graph of lib/ (scripts/check-imports.mjs)', () => {
  const temp: string[] = [];
  afterAll(async () => {
    await Promise.all(temp.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('has no cycle, and lib/core imports neither lib/store, lib/nest, lib/cli nor @nestjs/*', async () => {
    const { code, output } = await checkImports();
    expect(output).toMatch(/no cycles, lib\/core imports nothing above it/);
    expect(code).toBe(0);
  });

  it('finds a cycle (type-only imports included) and an upward import from lib/core', async () => {
    const lib = await mkdtemp(join(tmpdir(), 'check-imports-'));
    temp.push(lib);
    const files: Record<string, string> = {
      'options.ts': "import { StoreError } from './store/store.js';\nexport const a = StoreError;\n",
      'store/store.ts': "import type { a } from '../options.js';\nexport class StoreError extends Error {}\n",
      'core/gate.ts': "import { StoreError } from '../store/store.js';\nimport { Injectable } from '@nestjs/common';\n",
      'core/fine.ts': "// import { StoreError } from '../store/store.js';\nexport const fine = 1;\n",
    };
    for (const [name, text] of Object.entries(files)) {
      await mkdir(dirname(join(lib, name)), { recursive: true });
      await writeFile(join(lib, name), text);
    }
    const { code, output } = await checkImports(lib);
    expect(code).toBe(1);
    expect(output).toMatch(/import cycle: .*options\.ts -> .*store\/store\.ts -> .*options\.ts/);
    expect(output).toMatch(/core\/gate\.ts: lib\/core must not import lib\/store/);
    expect(output).toMatch(/core\/gate\.ts: lib\/core must not import @nestjs\/common/);
    expect(output).not.toMatch(/core\/fine\.ts/);
    expect(output).toMatch(/3 problem\(s\)/);
  });
});
