import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SoakReport } from './report';

/**
 * `npm run soak` for real, short: the whole stack, a fixed-seed chaos plan (one of each fault kind at least,
 * every component killed once), the drain and the reconciliation. It must exit 0 with every bound held, and the
 * report must show that the chaos really happened (faults injected, restarts survived).
 */
const ROOT = resolve(__dirname, '../..');

describe('npm run soak', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pcf-edge-soak-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('survives a seeded chaos plan with every kWh and every rollup accounted for', async () => {
    const child = spawn(
      process.execPath,
      [
        require.resolve('tsx/cli'),
        join(ROOT, 'scripts/soak/main.ts'),
        '--minutes',
        '1.5',
        '--seed',
        '11',
        '--data',
        dir,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LOG_LEVEL: 'warn' },
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const reportFile = join(dir, 'soak-report.json');
    const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as SoakReport) : undefined;
    // on failure the report's own failure lines come first (a CI log may cut a long tail short), then the output's tail
    expect({
      code,
      report: report !== undefined,
      failures: code === 0 ? [] : (report?.failures ?? []),
      tail: code === 0 ? '' : out.slice(-4000),
    }).toEqual({ code: 0, report: true, failures: [], tail: '' });
    if (!report) throw new Error('unreachable: the report exists');
    process.stdout.write(
      `soak test: ${report.realSeconds.toFixed(0)} s real, load ${report.loadAverage.end.map((x) => x.toFixed(2)).join(' ')}\n`,
    );
    expect(report.passed).toBe(true);
    expect(report.failures).toEqual([]);
    expect(report.reconciliation.lost).toEqual([]);
    expect(report.reconciliation.duplicates).toEqual([]);
    const kinds = new Set(Object.keys(report.faultsInjected).map((k) => k.split(':')[0]));
    expect(kinds).toEqual(
      new Set(['kill', 'streamManagerOutage', 'kinesisOutage', 'meterFault', 'counterEvent', 'diskFull', 'clockJump']),
    );
    for (const name of [
      'modbus-collector',
      'opcua-collector',
      'line-aggregator',
      'stream-exporter',
      'cloud-sink-consumer',
      'stream-manager',
      'kinesis',
    ]) {
      expect({ name, restarts: (report.restartsSurvived[name] ?? 0) > 0 }).toEqual({ name, restarts: true });
    }
    expect(report.reconciliation.energy.every((e) => e.clean > 0)).toBe(true);
    expect(out).toContain('chaos plan (seed 11');
    expect(readFileSync(join(dir, 'soak-report.md'), 'utf8')).toContain('every bound held');
  }, 420_000);
});
