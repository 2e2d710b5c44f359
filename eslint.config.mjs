import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/*
 * The layers (DESIGN.md): domain (pure) ← ports ← use cases ← composition ← functions / activities, with adapters
 * implementing ports. Each folder may import only what lies below it; `shared/errors.ts` is below everything. The
 * rules match the import as written (relative paths), so each pattern names the folder at any depth of `../`.
 */
const outside = (folder) => `^(\\.\\./)+${folder}(/|$)`;
const layer = (message, regexes) => ({ 'no-restricted-imports': ['error', { patterns: regexes.map((regex) => ({ regex, message })) }] });

/** What the domain may import besides itself and errors.ts: deterministic libraries only. */
const pureDomainPackages = ['ajv', 'cron-parser', 'node:crypto'];
const domainLayer = layer(
  'shared/domain is pure: it imports only shared/domain, shared/errors and ' + pureDomainPackages.join(', ') + '.',
  [`^(?!\\./|\\.\\./errors$|${pureDomainPackages.map((name) => `${name}$`).join('|')})`],
);
const portsLayer = layer('shared/ports are interfaces over the domain: they import only shared/domain, shared/ports and shared/errors.', [
  '^(?!\\./|\\.\\./domain/|\\.\\./errors$)',
]);
const adaptersLayer = layer('Adapters implement ports: they may not import functions, orchestrations, use cases or the composition root.', [
  outside('functions'),
  outside('orchestrations'),
  outside('usecases'),
  '(^|/)composition$',
]);
const usecasesLayer = layer('Use cases are built from ports: no adapters, composition, functions or orchestrations.', [
  '(^|/)adapters(/|$)',
  '(^|/)composition$',
  outside('functions'),
  outside('orchestrations'),
]);
const functionsLayer = layer('Functions reach adapters through shared/composition (or a use case), never directly.', [
  '(^|/)adapters(/|$)',
]);
const errorsModule = layer('shared/errors.ts is imported by every layer, so it imports nothing.', ['.']);

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
    // The dashboard runs in the browser: its own tsconfig (DOM types), no Node.
    files: ['dashboard/**/*.ts'],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { project: ['./dashboard/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['orchestrations/**/*.ts'],
    ignores: ['orchestrations/**/activities/**', 'orchestrations/**/*.activities.ts', 'orchestrations/hosting/**'],
    rules: orchestratorRestrictions,
  },
  { files: ['shared/domain/**/*.ts'], rules: domainLayer },
  { files: ['shared/ports/**/*.ts'], rules: portsLayer },
  { files: ['shared/adapters/**/*.ts'], rules: adaptersLayer },
  { files: ['shared/usecases/**/*.ts'], rules: usecasesLayer },
  { files: ['functions/**/*.ts'], rules: functionsLayer },
  { files: ['shared/errors.ts'], rules: errorsModule },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: globals.node,
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
