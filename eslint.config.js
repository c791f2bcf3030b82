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
