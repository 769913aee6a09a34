// Lint: typescript-eslint's recommended type-aware rules, plus the project's own bans on hidden
// globals (time, randomness, console) that DESIGN.md asks to be injected instead.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '**/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's describe/it return promises the runner awaits itself.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] }],
      }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Inject a Clock (common/clock.ts).' },
        { object: 'Math', property: 'random', message: 'Inject a Random.' }],
    },
  },
  {
    // Entry scripts, tests and benchmarks may print and read the wall clock.
    files: ['scripts/**', 'bin/**', '**/*.test.ts', 'test/**', 'bench/**', 'node/system-clock.ts'],
    rules: { 'no-console': 'off', 'no-restricted-properties': 'off' },
  },
  { files: ['**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
)
