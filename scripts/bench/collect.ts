/**
 * `npm run bench:collect -- [--seconds N] [...]`: the collector benchmarks of issue 3, one after the other, each in
 * its own process so their CPU and RSS figures do not mix. Runs scripts/bench/collect-modbus.ts, then
 * scripts/bench/collect-opcua.ts when that file exists. Arguments are passed to both. Exit code: the first
 * non-zero one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

if (process.argv.includes('--help')) {
  process.stdout.write(`usage: npm run bench:collect -- [--seconds N]
Runs collect-modbus.ts (Modbus: 200 meters × 50 points; the collector component and its bare baselines each
measured as their own process) and, when present, collect-opcua.ts (OPC UA: 10,000 items; the collector component
and a bare node-opcua client each measured as their own process), passing the arguments to each; see --help of
each script for its options.\n`);
  process.exit(0);
}

const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
let exitCode = 0;
for (const name of ['collect-modbus.ts', 'collect-opcua.ts']) {
  const file = join(__dirname, name);
  if (!existsSync(file)) {
    process.stdout.write(`\n(${name} not present; skipped)\n`);
    continue;
  }
  const res = spawnSync(tsx, [file, ...process.argv.slice(2)], { stdio: 'inherit' });
  const code = res.status ?? 1;
  if (code !== 0 && exitCode === 0) exitCode = code;
}
process.exit(exitCode);
