// Lint rules that catch real bugs in this codebase: floating promises (a lost activity or query),
// misused promises in Express handlers, and type-only imports kept type-only (workflow bundles).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.data/**',
      'dist/**',
      'coverage/**',
      '**/*.mjs',
      'jest.config.js',
      'test/harness/plain-summary-reporter.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The image ships only production code: dev tooling and tests are not in it.
    files: ['domain/**', 'config/**', 'workflows/**', 'activities/**', 'api/**', 'worker/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/scripts/**', '**/test/**', '**/bench/**'], message: 'production code never imports dev tooling' },
          ],
        },
      ],
    },
  },
);
