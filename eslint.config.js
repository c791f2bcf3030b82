import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The TypeScript files of the project's own tsconfig.json: linted with type information. */
const typedFiles = ['lib/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'sample-app/**/*.ts', 'migrations/**/*.ts'];
/** Copied into generated apps that have their own tsconfig: the untyped rules only. */
const untypedTs = ['test/consumer/app-files/**'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dist-sample/',
      'dist-bench/',
      'var/',
      'coverage/',
      // Generated Nest apps (linted by their own setup, if at all), kept byte-for-byte.
      'test/consumer/fixtures/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Nest modules are classes used only for their decorators.
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  // Type-aware rules (floating promises, unnecessary assertions, unsafe `any`) where a
  // tsconfig.json covers the file. The consumer test's app files are copied into generated
  // apps with their own tsconfig, so they keep the untyped rules above.
  ...tseslint.configs.recommendedTypeCheckedOnly.map((config) => ({
    ...config,
    files: typedFiles,
    ignores: untypedTs,
  })),
  {
    files: typedFiles,
    ignores: untypedTs,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // Node's own import(), which the CommonJS build would otherwise turn into require(): made
    // with `new Function` on purpose (a config file may be ESM; bull's package.json as JSON).
    files: ['lib/config/load-config-file.ts', 'lib/store/redis/bull-version.ts'],
    rules: { '@typescript-eslint/no-implied-eval': 'off' },
  },
  {
    // Test doubles and fixtures implement Promise-returning interfaces with `async` functions
    // that have nothing to await; without `async`, a throw in them would no longer reject.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'lib/**/*.spec.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Vitest types its asymmetric matchers (expect.any, expect.stringContaining, ...) as `any`,
    // so every expected object that holds one is an "unsafe assignment". Values the tests read
    // (JSON bodies, CLI output) are typed where they are parsed.
    files: ['test/**/*.ts', 'lib/**/*.spec.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
  },
);
