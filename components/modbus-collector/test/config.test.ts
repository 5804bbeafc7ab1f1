import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { isPcfError, type PcfError } from '@pcf-edge/core';
import { loadCollectorConfig, meterPoints, parseCollectorConfig } from '../src/config';
import { siteClaimsOf } from '../src/site-claims';
import type { DryRunReport } from '../src/dry-run';
import { config, device, meter, point, startTestDevice } from './support';

const base = () => ({
  site: 'S1',
  devices: [{ id: 'd1', host: '127.0.0.1', port: 502 }],
  meters: [
    { id: 'm1', line: 'L1', device: 'd1', profile: 'eastron-sdm630' },
    {
      id: 'm2',
      line: 'L1',
      device: 'd1',
      unitId: 2,
      points: [
        { name: 'e', quantity: 'activeEnergyImport', table: 'holding', address: 0, type: 'uint32', scale: 0.01 },
      ],
    },
  ],
});

function errorsOf(data: unknown): string[] {
  try {
    parseCollectorConfig(data, 'test.yaml');
  } catch (err) {
    expect(isPcfError(err, 'ERR_CONFIG_INVALID')).toBe(true);
    return (err as PcfError).details.errors as string[];
  }
  throw new Error('config was accepted');
}

describe('collector config', () => {
  it('accepts a valid config, applies defaults and resolves profile points', () => {
    const cfg = parseCollectorConfig(base(), 'ok');
    expect(cfg.devices[0]).toMatchObject({
      timeoutMs: 1000,
      maxRegistersPerRead: 125,
      retry: { initialDelayMs: 250, maxDelayMs: 30000, multiplier: 2, jitter: 'none' },
      circuitBreaker: { failures: 5 },
    });
    expect(cfg.meters[1]?.points?.[0]).toMatchObject({ wordOrder: 'ABCD', offset: 0 });
    expect(meterPoints(cfg.meters[0]!).length).toBeGreaterThan(3);
    expect(meterPoints(cfg.meters[1]!)[0]).toMatchObject({ kind: 'counter', quantity: 'activeEnergyImport' });
  });

  const cases: [string, (c: ReturnType<typeof base>) => void, string][] = [
    [
      'unknown profile',
      (c) => {
        (c.meters[0] as { profile: string }).profile = 'acme-9000';
      },
      "/meters/0/profile: unknown profile 'acme-9000'",
    ],
    [
      'unknown type',
      (c) => {
        c.meters[1]!.points![0]!.type = 'int24';
      },
      '/meters/1/points/0/type: must be equal to one of the allowed values',
    ],
    [
      'unknown word order',
      (c) => {
        (c.meters[1]!.points![0] as Record<string, unknown>).wordOrder = 'ACBD';
      },
      '/meters/1/points/0/wordOrder: must be equal to one of the allowed values',
    ],
    [
      'overlapping points',
      (c) => {
        c.meters[1]!.points!.push({
          name: 'p',
          quantity: 'activePower',
          table: 'holding',
          address: 1,
          type: 'float32',
          scale: 1,
        });
      },
      '/meters/1/points/1: registers 1..2 (holding) overlap point /meters/1/points/0',
    ],
    [
      'address + length past 65535',
      (c) => {
        c.meters[1]!.points![0]!.address = 65535;
      },
      '/meters/1/points/0/address: 65535 + 2 register(s) runs past 65535',
    ],
    [
      'maxRegistersPerRead > 125',
      (c) => {
        (c.devices[0] as Record<string, unknown>).maxRegistersPerRead = 126;
      },
      '/devices/0/maxRegistersPerRead: must be <= 125',
    ],
    [
      'unknown device reference',
      (c) => {
        c.meters[1]!.device = 'nope';
      },
      "/meters/1/device: unknown device 'nope'",
    ],
    [
      'duplicate meter id',
      (c) => {
        c.meters[1]!.id = 'm1';
      },
      "/meters/1/id: duplicate meter id 'm1' (first at /meters/0/id)",
    ],
    [
      'duplicate device id',
      (c) => {
        c.devices.push({ id: 'd1', host: 'x', port: 1 });
      },
      "/devices/1/id: duplicate device id 'd1' (first at /devices/0/id)",
    ],
    [
      'quantity not in the catalogue',
      (c) => {
        c.meters[1]!.points![0]!.quantity = 'reactivePower';
      },
      "/meters/1/points/0/quantity: 'reactivePower' is not in the quantity catalogue",
    ],
    [
      'missing device',
      (c) => {
        (c.meters[0] as Record<string, unknown>).device = undefined;
        delete (c.meters[0] as Record<string, unknown>).device;
      },
      "/meters/0: missing required property 'device'",
    ],
    [
      'a retry cap below the first delay',
      (c) => {
        (c.devices[0] as Record<string, unknown>).retry = { initialDelayMs: 500, maxDelayMs: 100 };
      },
      '/devices/0/retry/maxDelayMs: 100 is smaller than initialDelayMs (500)',
    ],
    [
      'the old and the new retry spelling together',
      (c) => {
        Object.assign(c.devices[0] as Record<string, unknown>, { retry: {}, backoff: { initialMs: 100 } });
      },
      '/devices/0/backoff: deprecated spelling of /devices/0/retry, which is also given',
    ],
    [
      'modulus on a gauge point (nobody would honour it)',
      (c) => {
        c.meters[1]!.points!.push({
          name: 'p',
          quantity: 'activePower',
          table: 'holding',
          address: 10,
          type: 'float32',
          scale: 1,
          modulus: 100,
        } as never);
      },
      '/meters/1/points/1/modulus: only counters have modulus (activePower is a gauge)',
    ],
    [
      'overrides of a point the profile does not have',
      (c) => {
        (c.meters[0] as Record<string, unknown>).overrides = { energy: { maxRatePerHour: 5 } };
      },
      "/meters/0/overrides/energy: profile 'eastron-sdm630' has no point 'energy'",
    ],
    [
      'overrides of a gauge',
      (c) => {
        (c.meters[0] as Record<string, unknown>).overrides = { activePower: { modulus: 5 } };
      },
      "/meters/0/overrides/activePower: point 'activePower' of 'eastron-sdm630' is not a counter",
    ],
    [
      'overrides without a profile',
      (c) => {
        (c.meters[1] as Record<string, unknown>).overrides = { e: { modulus: 5 } };
      },
      '/meters/1/overrides: only with a profile',
    ],
    [
      'a role outside the three',
      (c) => {
        (c.meters[0] as Record<string, unknown>).role = 'main';
      },
      '/meters/0/role: must be equal to one of the allowed values (lineTotal, subMeter, baseload)',
    ],
  ];
  it.each(cases)('rejects %s naming the path', (_name, mutate, expected) => {
    const c = base();
    mutate(c);
    expect(errorsOf(c).join('\n')).toContain(expected);
  });

  it('reports every problem in one error', () => {
    const c = base();
    c.meters[1]!.device = 'nope';
    (c.meters[0] as { profile: string }).profile = 'acme-9000';
    c.meters[1]!.points![0]!.quantity = 'reactivePower';
    const errors = errorsOf(c);
    expect(errors).toHaveLength(3);
  });

  it('rejects a meter with both profile and points', () => {
    const c = base();
    (c.meters[0] as Record<string, unknown>).points = c.meters[1]!.points;
    expect(errorsOf(c).join('\n')).toContain('/meters/0');
  });

  it("publishes each meter's description for the aggregator: given values, profile and register-type defaults", () => {
    const c = base();
    Object.assign(c.meters[0]!, { role: 'lineTotal', overrides: { energyImport: { maxRatePerHour: 40 } } });
    const claims = siteClaimsOf(parseCollectorConfig(c, 'ok'));
    const of = (meterId: string, field: string) => claims.find((x) => x.meterId === meterId && x.field === field);
    expect(of('', 'site')).toMatchObject({ value: 'S1', strength: 'given', place: '/site' });
    expect(of('m1', 'role')).toMatchObject({ value: 'lineTotal', place: '/meters/0/role' });
    expect(of('m2', 'role')).toBeUndefined(); // not given: not stated (no default role)
    expect(of('m1', 'points/energyImport/maxRatePerHour')).toMatchObject({
      value: 40,
      strength: 'given',
      place: '/meters/0/overrides/energyImport/maxRatePerHour',
    });
    expect(of('m1', 'points/energyExport/maxRatePerHour')).toMatchObject({
      value: 100,
      strength: 'default',
      place: '/meters/0/profile (eastron-sdm630, point energyExport)',
    });
    expect(of('m1', 'points/activePower/modulus')).toBeUndefined(); // gauges state nothing
    expect(of('m2', 'points/e/modulus')).toMatchObject({
      value: 42949672.96, // 2^32 × 0.01: the uint32 register's wrap
      strength: 'default',
      place: '/meters/1/points/0/type (uint32 × 0.01)',
    });
  });

  it('accepts the sample config shipped with the component', () => {
    const sample = loadCollectorConfig(join(__dirname, '..', 'config.sample.yaml'));
    expect(sample.meters).toHaveLength(6);
    expect(sample.devices.map((d) => d.transport)).toEqual(['tcp', 'tcp', 'rtu', 'rtuOverTcp']);
  });

  it('accepts the deprecated `backoff` spelling for one release, warning with the file, old key and new key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mbcfg-'));
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
    try {
      const file = join(dir, 'old.yaml');
      writeFileSync(
        file,
        [
          'site: S1',
          'devices:',
          '  - {id: d1, host: 127.0.0.1, backoff: {initialMs: 100, maxMs: 800, multiplier: 3}}',
          '  - {id: d2, host: 127.0.0.1, backoff: {maxMs: 5000}}',
          'meters:',
          '  - {id: m1, line: L1, device: d1, profile: abb-b23}',
          '',
        ].join('\n'),
      );
      const cfg = loadCollectorConfig(file, log);
      expect(cfg.devices[0]?.retry).toEqual({ initialDelayMs: 100, maxDelayMs: 800, multiplier: 3, jitter: 'none' });
      expect(cfg.devices[0]).not.toHaveProperty('backoff');
      expect(lines.map((l) => [l.msg, l.file, l.oldKey, l.newKey])).toEqual([
        [
          'deprecated configuration key accepted; rename it before the next release',
          file,
          '/devices/0/backoff',
          '/devices/0/retry',
        ],
        [
          'deprecated configuration key accepted; rename it before the next release',
          file,
          '/devices/1/backoff',
          '/devices/1/retry',
        ],
      ]);
      // A bad value under the old spelling is named where it was written.
      writeFileSync(file, readFileSync(file, 'utf8').replace('maxMs: 5000', 'maxMs: 50'));
      expect(() => loadCollectorConfig(file, log)).toThrow(
        '/devices/1/backoff/maxMs: 50 is smaller than initialDelayMs (250)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads YAML files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mbcfg-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(
        file,
        'site: S1\ndevices:\n  - {id: d1, host: 127.0.0.1}\nmeters:\n  - {id: m1, line: L1, device: d1, profile: abb-b23}\n',
      );
      expect(loadCollectorConfig(file).meters[0]?.profile).toBe('abb-b23');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('modbus-collector command', () => {
  const run = promisify(execFile);
  const main = join(__dirname, '..', 'src', 'main.ts');
  const tsx = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');

  it('exits non-zero at start-up with a bad config, naming every path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mbcfg-'));
    try {
      const file = join(dir, 'bad.json');
      const c = base();
      c.meters[1]!.device = 'nope';
      (c.devices[0] as Record<string, unknown>).maxRegistersPerRead = 200;
      writeFileSync(file, JSON.stringify(c));
      const err = await run(tsx, [main, '--config', file, '--dry-run']).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(2);
      expect(err?.stderr).toContain('ERR_CONFIG_INVALID');
      expect(err?.stderr).toContain('/devices/0/maxRegistersPerRead');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  it('--dry-run --json prints every request and one decoded value per point, then exits', async () => {
    const dev = await startTestDevice();
    const dir = mkdtempSync(join(tmpdir(), 'mbcfg-'));
    try {
      const pts = [
        point('e', 'activeEnergyImport', 'holding', 100, 'uint32', { scale: 0.1 }),
        point('v', 'voltage', 'input', 0, 'float32'),
      ];
      dev.setPoint(1, pts[0]!, 1234.5);
      dev.setPoint(1, pts[1]!, 230.5);
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify(config([device('d1', dev.port)], [meter('m1', 'd1', pts)])));
      const { stdout } = await run(tsx, [main, '--config', file, '--dry-run', '--json']);
      const report = JSON.parse(stdout) as DryRunReport;
      expect(report.meters[0]?.requests).toEqual([
        { unitId: 1, functionCode: 3, address: 100, count: 2, points: ['e'] },
        { unitId: 1, functionCode: 4, address: 0, count: 2, points: ['v'] },
      ]);
      expect(report.meters[0]?.readings).toEqual([
        { point: 'e', quantity: 'activeEnergyImport', value: 1234.5, unit: 'kWh', quality: 'good' },
        { point: 'v', quantity: 'voltage', value: 230.5, unit: 'V', quality: 'good' },
      ]);
      const text = (await run(tsx, [main, '--config', file, '--dry-run'])).stdout;
      expect(text).toContain('request unit 1 FC3 address 100 count 2  [e]');
      expect(text).toContain('e = 1234.5 kWh  good');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dev.close();
    }
  }, 60000);

  it('prints --help', async () => {
    const { stdout } = await run(tsx, [main, '--help']);
    expect(stdout).toContain('--dry-run');
  }, 60000);
});
