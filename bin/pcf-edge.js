#!/usr/bin/env node
// The gateway CLI. Registers tsx so the TypeScript sources run as they are, then starts the CLI.
'use strict';
require('tsx/cjs');
require('../tools/pcf-edge-cli/src/run.ts');
