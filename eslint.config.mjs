import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const orchestratorRestrictions = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['node:*'], message: 'Orchestrators are deterministic: no Node built-ins; do I/O in an activity.' },
        { group: ['@azure/*', '!@azure/functions'], message: 'Orchestrators may not use Azure SDK clients; call an activity.' },
        { group: ['**/adapters/**', '**/composition'], message: 'Orchestrators may not use adapters; call an activity.' },
      ],
      paths: ['fs', 'path', 'os', 'http', 'https', 'crypto', 'child_process', 'net'].map((name) => ({
        name,
        message: 'Orchestrators are deterministic: no Node built-ins; do I/O in an activity.',
      })),
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'Date', message: 'Use context.df.currentUtcDateTime: orchestrators replay.' },
    { name: 'fetch', message: 'Orchestrators do no I/O; use an activity or context.df.callHttp.' },
    { name: 'setTimeout', message: 'Use a durable timer (context.df.createTimer).' },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Use context.df.newGuid: orchestrators replay.' },
    { object: 'process', property: 'env', message: 'Read configuration in shared/config.ts, from an activity.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.canopy/**', 'jobs/**', 'bench/results/**', '**/.venv/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['orchestrations/**/*.ts'],
    ignores: ['orchestrations/**/activities/**', 'orchestrations/**/*.activities.ts'],
    rules: orchestratorRestrictions,
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: globals.node,
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
