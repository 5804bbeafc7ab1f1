#!/usr/bin/env node
// The gateway CLI. Registers tsx so the TypeScript sources run as they are, then starts the CLI.
'use strict';
require('tsx/cjs');
require('../components/line-aggregator/src/cli/run.ts');
