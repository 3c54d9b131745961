// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no drivers, no I/O modules. */
const workflowImports = {
  paths: [
    ...['fs', 'path', 'crypto', 'os', 'child_process', 'net', 'http', 'https', 'pg', 'pg-copy-streams', 'mongodb', 'cassandra-driver'].map((name) => ({
      name,
      message: 'workflows/ runs in the Temporal sandbox: no Node built-ins or drivers.',
    })),
    { name: '../activities', message: 'workflows/ may only import activity types (import type).', allowTypeImports: true },
  ],
  patterns: [
    { group: ['node:*'], message: 'workflows/ runs in the Temporal sandbox: no Node built-ins.' },
    {
      group: ['../src/connectors', '../src/connectors/*', '../src/engine', '../src/engine/*', '../activities/*'],
      message: 'I/O code: workflows/ may import its types only (import type).',
      allowTypeImports: true,
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.stack/', 'coverage/', 'test/fixtures/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // `_name` marks a parameter a signature requires (express error handlers) or a key dropped by destructuring.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  { files: ['workflows/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', workflowImports] } },
  prettier,
);
