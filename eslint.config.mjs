import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      'greengrass-build/**',
      '.pcf-edge/**',
      '**/cdk.out/**',
      '**/*.js',
      '**/*.mjs',
      'cloud-sink/src/dashboard/public/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The PCF engine is pure (cloud-sink/engine/README.md): no store, service, HTTP, AWS or other I/O code.
    files: ['cloud-sink/engine/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../*', '@pcf-edge/cloud-sink', '@pcf-edge/cloud-sink/*'],
              message: 'the engine imports nothing of cloud-sink',
            },
            {
              group: ['pg', 'pg-*', 'better-sqlite3', '@aws-sdk/*', 'fastify', '@fastify/*', 'pino', 'yaml', 'ajv'],
              message: 'the engine does no I/O',
            },
            {
              group: ['node:*', 'fs', 'net', 'http', 'https', 'child_process', 'worker_threads'],
              message: 'the engine does no I/O',
            },
          ],
        },
      ],
    },
  },
);
