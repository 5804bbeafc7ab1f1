/** Jest runs every workspace's tests; TypeScript is compiled by SWC (type checking is `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/{shared,components,simulators,tools,cloud-sink,scripts,fuzz}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/greengrass-build/', '/.pcf-edge/', '/cdk.out/'],
  // cookie 2 and jose are ESM only; light-my-request (fastify's inject, used by the Lambda API adapter) requires
  // cookie and the API requires jose, which Node does natively and jest's module runtime does not: SWC turns them
  // into CommonJS
  transformIgnorePatterns: ['/node_modules/(?!(cookie|jose)/)'],
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  setupFiles: ['<rootDir>/test-support/jest-setup.ts'],
  testTimeout: 30000,
};
