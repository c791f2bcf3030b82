import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

// The repository's config, run from the scratch copy that test/compat/run.mjs makes, plus the
// check that the copy really loads the pinned low versions.
export default mergeConfig(
  base,
  defineConfig({
    root: resolve(dirname(fileURLToPath(import.meta.url)), '../..'),
    test: { include: ['test/compat/*.check.ts'] },
  }),
);
