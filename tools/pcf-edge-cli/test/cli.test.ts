/** The gateway CLI as a user runs it: `node bin/pcf-edge.js …` in a child process, against a real store file. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '@pcf-edge/store';
// The store the CLI reads is written by the real line aggregator (its demo fixture), as on a gateway.
import { buildDemoStore, GAS_CV, tempDir, VCF } from '../../../components/line-aggregator/test/fixtures';

const ROOT = join(__dirname, '../../..');
const BIN = join(ROOT, 'bin/pcf-edge.js');
const tmp = tempDir('pcf-cli-');
const store = tmp.file('gateway.db');
const PERIOD = ['--from', '2026-06-01T08:00Z', '--to', '2026-06-01T09:00Z'];

function cli(
  args: string[],
  env: Record<string, string> = { PCF_EDGE_STORE: store },
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const gasKWh = (m3: number): number => (m3 * VCF * GAS_CV) / 3.6;

beforeAll(() => buildDemoStore(store, Date.now()), 60_000);
afterAll(() => tmp.cleanup());

describe('pcf-edge', () => {
  it('rollups: one row per window and a totals row, within 80 columns', () => {
    const r = cli(['rollups', '--line', 'line-1', ...PERIOD]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toMatch(/^start \(UTC\)\s+elec kWh\s+gas m3\s+gas kWh\s+units\s+kWh\/unit\s+cov%\s+flags$/);
    const perWindow = `22.500   45.000 ${gasKWh(45).toFixed(3).padStart(9)}     90 ${((22.5 + gasKWh(45)) / 90).toFixed(3).padStart(8)} 100.0`;
    expect(lines[2]).toBe(`2026-06-01 08:00     ${perWindow} O`);
    expect(lines[3]).toBe(`2026-06-01 08:15     ${perWindow}`);
    expect(lines[5]).toMatch(/^total \(2\)\s+45\.000\s+90\.000\s+1009\.857\s+180\s+5\.860\s+100\.0 O$/);
  });

  it('rollups --csv and --json carry the same numbers', () => {
    const c = cli([
      'rollups',
      '--line',
      'line-2',
      '--window',
      '1m',
      '--csv',
      '--from',
      '2026-06-01T08:08Z',
      '--to',
      '2026-06-01T08:16Z',
    ]);
    expect(c.code).toBe(0);
    const rows = c.out
      .trimEnd()
      .split('\n')
      .map((l) => l.split(','));
    expect(rows[0]).toEqual([
      'start',
      'electricity_kwh',
      'gas_m3',
      'gas_kwh',
      'units',
      'kwh_per_unit',
      'coverage_pct',
      'flags',
    ]);
    expect(rows.slice(1, -1).map((r) => [r[0], r[1], r[7]])).toEqual([
      ['2026-06-01T08:08:00.000Z', '3', ''],
      ['2026-06-01T08:09:00.000Z', '3', ''],
      ['2026-06-01T08:10:00.000Z', '3', 'EGL'],
      ['2026-06-01T08:11:00.000Z', '3', 'EGL'],
      ['2026-06-01T08:12:00.000Z', '3', 'EGL'],
      ['2026-06-01T08:13:00.000Z', '3', 'EG'],
      ['2026-06-01T08:14:00.000Z', '3', ''],
      ['2026-06-01T08:15:00.000Z', '3', ''],
    ]);
    expect(rows.at(-1)!.slice(0, 2)).toEqual(['total', '24']);
    const j = cli(['rollups', '--line', 'line-1', '--json', ...PERIOD]);
    const doc = JSON.parse(j.out) as {
      rows: unknown[];
      totals: { electricityKWh: number; units: number; gasKWh: number };
    };
    expect(doc.rows).toHaveLength(2);
    expect(doc.totals).toMatchObject({ electricityKWh: 45, units: 180 });
    expect(doc.totals.gasKWh).toBeCloseTo(gasKWh(90), 9);
  });

  it('lines: one row per line over the period', () => {
    const r = cli(['lines', ...PERIOD]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[2]).toMatch(/^line-1\s+2\s+45\.000\s+90\.000\s+1009\.857\s+180\s+5\.860\s+100\.0 O$/);
    expect(lines[3]).toMatch(/^line-2\s+2\s+90\.000\s+0\.000\s+0\.000\s+0\s+-\s+86\.7 EG$/);
  });

  it('status: meters, store, aggregator progress, outbox; --json has the same', () => {
    const r = cli(['status']);
    expect(r.code).toBe(3); // unhealthy: no exporter status, meter g1 failing (below)
    for (const l of r.out.trimEnd().split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    expect(r.out).toMatch(/aggregator {2}reading 1577 of 1577 \(0 behind\), reading time 2026-06-01 08:33:10/);
    expect(r.out).toMatch(/^g1\s+line-1\s+failing\s+[5-9]m\s+12 ERR_MODBUS_TIMEOUT: no answ…$/m); // 300 s old when written
    expect(r.out).toMatch(/^m1\s+line-1\s+ok\s+\d+[sm]\s+0 -$/m);
    const j = JSON.parse(cli(['status', '--json']).out) as {
      outbox: { depth: number; oldestUnsentAgeMs: number };
      store: { rollups: number };
    };
    expect(j.outbox.depth).toBe(j.store.rollups);
    expect(j.outbox.oldestUnsentAgeMs).toBeGreaterThanOrEqual(60_000);
  });

  it('status: unhealthy exits 3 and names every problem; the demo store has no exporter and a failing meter', () => {
    const r = cli(['status']);
    expect(r.code).toBe(3);
    expect(r.out).toContain('exporter    no status recorded yet');
    expect(r.out).toMatch(/^health {6}UNHEALTHY$/m);
    expect(r.out).toContain('  - stream-exporter: no status recorded (it has not run against this store)');
    expect(r.out).toMatch(/^ {2}- modbus meter g1: failing: ERR_MODBUS_TIMEOUT/m);
    const j = JSON.parse(cli(['status', '--json']).out) as { health: { healthy: boolean; problems: string[] } };
    expect(j.health.healthy).toBe(false);
    expect(j.health.problems).toHaveLength(2);
  });

  describe('status of a gateway whose exporter reports', () => {
    const gw = tmp.file('exporter.db');
    const writeExporter = (row: Record<string, unknown>): void => {
      const s = openStore(gw);
      try {
        s.setState(
          'stream-exporter',
          'status',
          JSON.stringify({ target: 'streamManager', stream: 'pcf-edge-rollups', ...row }),
        );
      } finally {
        s.close();
      }
    };
    beforeAll(() => {
      buildDemoStore(gw, Date.now());
      const s = openStore(gw);
      for (const h of s.listMeterHealth())
        s.upsertMeterHealth([{ ...h, state: 'ok', lastGoodTs: Date.now(), consecutiveFailures: 0, lastError: null }]);
      s.close();
    }, 60_000);

    it('healthy: exit 0, the target reachable, its last delivery and lag', () => {
      writeExporter({
        reachable: true,
        lastSentTs: Date.now() - 4000,
        lastError: null,
        lastErrorTs: null,
        updatedTs: Date.now(),
      });
      const r = cli(['status'], { PCF_EDGE_STORE: gw });
      expect(r).toMatchObject({ code: 0 });
      expect(r.out).toMatch(
        /^exporter {4}streamManager reachable, delivered [4-9]s ago, lag \d+[sm], status \d+s old$/m,
      );
      expect(r.out).toMatch(/^health {6}ok$/m);
    });

    it('unreachable, stale, late: exit 3 with the last error and each limit broken', () => {
      const now = Date.now();
      writeExporter({
        reachable: false,
        lastSentTs: null,
        lastError: 'ERR_SM_CONNECTION: connect ECONNREFUSED 127.0.0.1:8088',
        lastErrorTs: now - 30_000,
        updatedTs: now - 600_000,
      });
      const r = cli(['status', '--max-export-lag', '1s'], { PCF_EDGE_STORE: gw });
      expect(r.code).toBe(3);
      expect(r.out).toMatch(/^exporter {4}streamManager UNREACHABLE, never delivered, lag \d+[sm], status 10m old$/m);
      expect(r.out).toMatch(/^ {12}last error 3\ds ago: ERR_SM_CONNECTION: connect ECONNREFUSED 127\.0\.0…$/m);
      for (const l of r.out.trimEnd().split('\n')) expect(l.length).toBeLessThanOrEqual(80);
      const j = JSON.parse(cli(['status', '--json', '--max-export-lag', '1s'], { PCF_EDGE_STORE: gw }).out) as {
        exporter: { lastError: string; reachable: boolean; lagMs: number };
        health: { problems: string[] };
      };
      expect(j.exporter).toMatchObject({
        reachable: false,
        lastError: 'ERR_SM_CONNECTION: connect ECONNREFUSED 127.0.0.1:8088',
      });
      expect(j.health.problems).toEqual([
        expect.stringMatching(/^stream-exporter: last status 10m ago \(not running\?\)$/),
        'stream-exporter: streamManager unreachable: ERR_SM_CONNECTION: connect ECONNREFUSED 127.0.0.1:8088',
        expect.stringMatching(/^stream-exporter: oldest undelivered rollup waits \d+[sm] \(limit 1s\)$/),
      ]);
    });
  });

  it('status finds the store of a Greengrass gateway without --store; several stores need --store', () => {
    const root = tmp.file('greengrass');
    const dir = join(root, 'work', 'pcf-edge');
    mkdirSync(dir, { recursive: true });
    buildDemoStore(join(dir, 'gateway.sqlite'), Date.now());
    const env = { PCF_EDGE_STORE: '', GGC_ROOT_PATH: root };
    const j = JSON.parse(cli(['status', '--json'], env).out) as { store: { path: string } };
    expect(j.store.path).toBe(join(dir, 'gateway.sqlite'));
    buildDemoStore(join(dir, 'other.sqlite'), Date.now());
    expect(cli(['status'], env)).toMatchObject({
      code: 2,
      err: expect.stringContaining(`${dir} holds several stores (gateway.sqlite, other.sqlite): pass --store <file>`),
    });
  }, 60_000);

  it('status --watch redraws until interrupted, then exits 0', async () => {
    const child = spawn(process.execPath, [BIN, 'status', '--watch', '--interval', '1s'], {
      cwd: ROOT,
      env: { ...process.env, PCF_EDGE_STORE: store },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('pcf-edge status at').length > 2) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('\x1b[2J');
  }, 60_000);

  it('events: the rollover and the gap', () => {
    const r = cli(['events', ...PERIOD]);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n').slice(1)).toEqual([
      expect.stringMatching(/^2026-06-01 08:05:20 g1\s+volume\s+rollover\s+655\.500→0\.000$/),
      expect.stringMatching(/^2026-06-01 08:14:00 m3\s+energy\s+gap\s+240s, 12\.000$/),
    ]);
  });

  it('--help on every command; usage errors exit 2, failures exit 1', () => {
    expect(cli(['--help']).out).toContain('Usage: pcf-edge <command> [options]');
    for (const cmd of ['rollups', 'lines', 'status', 'events']) {
      const r = cli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: pcf-edge ${cmd}`);
    }
    expect(cli(['frobnicate']).code).toBe(2);
    const bad = cli(['rollups', '--line', 'line-1', '--since', 'yesterday']);
    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining('--since: not a duration: "yesterday"') });
    expect(cli(['rollups', '--window', '15m'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--line is required'),
    });
    expect(cli(['status'], { PCF_EDGE_STORE: '' })).toMatchObject({
      code: 2,
      err: expect.stringContaining('pass --store <file> or set PCF_EDGE_STORE'),
    });
    expect(cli(['status', '--store', tmp.file('missing.db')])).toMatchObject({
      code: 1,
      err: expect.stringContaining('ERR_STORE'),
    });
    expect(cli(['rollups', '--line', 'line-9', ...PERIOD])).toMatchObject({
      code: 1,
      err: expect.stringContaining("no rollups for line 'line-9'"),
    });
  });
});
