import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePoint, getProfile } from '@pcf-edge/profiles';
import { close, connect, demoScenario } from './helpers';

/** The process entry point: listing on stdout, frozen time with --at, truth file, clean exit on SIGTERM. */
const ROOT = join(__dirname, '../../..');
const AT = '2026-11-02T08:30:00.000Z';

function waitForListing(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/modbus gas-io listening on [\d.]+:\d+/.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited early (${String(code)}): ${out}`)));
  });
}

it('runs a scenario, serves the truth of the frozen instant and stops on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-main-'));
  const scenarioFile = join(dir, 'scenario.json');
  writeFileSync(scenarioFile, JSON.stringify(demoScenario({ opcua: false })));
  const truthFile = join(dir, 'truth.json');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'simulators/meters/src/main.ts',
      '--scenario',
      scenarioFile,
      '--at',
      AT,
      '--truth-out',
      truthFile,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    const listing = await waitForListing(child);
    const port = Number(/modbus panel-b listening on [\d.]+:(\d+)/.exec(listing)?.[1]);
    const c = await connect(port, 1);
    const p = getProfile('carlo-gavazzi-em24').points.find((x) => x.name === 'energyImport');
    const value = decodePoint((await c.readInputRegisters(0x42, 2)).data, p as NonNullable<typeof p>);
    await close(c);
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as {
      time: string;
      meters: Record<string, { points: Record<string, number> }>;
    };
    expect(truth.time).toBe(AT);
    expect(value).toBe(truth.meters['line2-feed-a']?.points.energyImport);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  expect(existsSync(truthFile)).toBe(true);
}, 60_000);

it('--help prints the usage', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/meters/src/main.ts', '--help'], { cwd: ROOT });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  expect(out).toContain('--scenario <file>');
}, 60_000);
