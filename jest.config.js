/** Jest runs every workspace's tests; TypeScript is compiled by SWC (type checking is `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/{shared,components,simulators,tools,cloud-sink,scripts,fuzz}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/greengrass-build/', '/.pcf-edge/'],
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  setupFiles: ['<rootDir>/test-support/jest-setup.ts'],
  testTimeout: 30000,
};
