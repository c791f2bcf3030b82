import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // esbuild drops decorator metadata, which Nest's dependency injection needs.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['lib/**/*.spec.ts', 'test/**/*.spec.ts'],
    // The consumer test's generated apps carry their own specs, run by their own Jest or Vitest.
    exclude: [...configDefaults.exclude, 'test/consumer/fixtures/**', 'test/consumer/app-files/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two test files at a time on the two-core CI machine (Vitest's default there is one):
    // the suite is I/O- and wait-bound enough that this halves its time (18 → 9 min), and its
    // timing checks are written for a busy machine.
    maxWorkers: 2,
  },
});
