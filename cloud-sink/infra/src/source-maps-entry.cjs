'use strict';
// The Lambda handler file of every cloud-sink bundle (handler `main.handler`; esbuild's bundle is index.js beside it).
// It turns source maps on before the bundle loads, so stack traces name the TypeScript sources. It replaces
// NODE_OPTIONS=--enable-source-maps, which also makes every util.getCallSites() map its frames: pino calls it once
// per logger, and that parsed the bundle's whole source map at every cold start (+0.3 s CPU, +90 MB RSS), ADR 0272.
process.setSourceMapsEnabled(true);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose: the bundle must load after the line above
module.exports = require('./index.js');
