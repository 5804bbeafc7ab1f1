import pino from 'pino';
import { isPcfError, type PcfError } from '@pcf-edge/core';
import { join } from 'node:path';
import { loadOpcUaConfig, validateOpcUaConfig } from '../src/config';
import { siteClaimsOf } from '../src/site-claims';

const valid = () => ({
  site: 'plant-1',
  endpoints: [{ id: 'plc', url: 'opc.tcp://127.0.0.1:4840' }],
  meters: [
    {
      id: 'm1',
      line: 'L1',
      endpoint: 'plc',
      points: [{ name: 'e', nodeId: 'ns=2;s=m1.energy', quantity: 'activeEnergyImport' }],
    },
  ],
});

function errorsOf(data: unknown): string[] {
  try {
    validateOpcUaConfig(data, 'test.yaml');
  } catch (err) {
    if (isPcfError(err, 'ERR_CONFIG_INVALID')) return (err as PcfError).details.errors as string[];
    throw err;
  }
  throw new Error('expected ERR_CONFIG_INVALID');
}

test('a valid config gets its defaults and is frozen', () => {
  const c = validateOpcUaConfig(valid(), 'test.yaml');
  expect(c.maxMonitoredItemsPerSubscription).toBe(1000);
  expect(c.queueSize).toBe(10);
  expect(c.batch).toEqual({ maxBatch: 500, maxDelayMs: 1000 });
  expect(c.endpoints[0]).toMatchObject({
    securityMode: 'None',
    securityPolicy: 'None',
    pkiDir: './pki',
    automaticallyAcceptUnknownCertificate: false,
  });
  expect(c.meters[0]?.points[0]).toMatchObject({ mode: 'subscribe', samplingIntervalMs: 1000, scale: 1 });
  expect(Object.isFrozen(c.meters[0]?.points[0])).toBe(true);
});

test('every semantic problem is named by its path in one error', () => {
  const c = valid() as ReturnType<typeof valid> & {
    endpoints: Record<string, unknown>[];
    meters: Record<string, unknown>[];
  };
  c.endpoints.push({ id: 'plc', url: 'opc.tcp://10.0.0.2:4840' });
  c.meters.push({
    id: 'm1',
    line: 'L2',
    endpoint: 'nowhere',
    points: [
      { name: 'a', nodeId: 'ns=x;s=foo', quantity: 'activeEnergyImport' },
      { name: 'a', nodeId: 'nsu=urn:a;i=notanumber', quantity: 'kiloWattHours' },
      { name: 'b', nodeId: 'foo', quantity: 'activePower', kind: 'counter' },
      { name: 'c', nodeId: 'ns=2;s=x', quantity: 'gasFlow', mode: 'poll', deadband: 1, modulus: 10 },
    ],
  });
  const errors = errorsOf(c);
  expect(errors).toEqual(
    expect.arrayContaining([
      "/endpoints/1/id: duplicate endpoint id 'plc' (first at /endpoints/0)",
      "/meters/1/id: duplicate meter id 'm1' (first at /meters/0)",
      "/meters/1/endpoint: unknown endpoint 'nowhere' (defined: plc)",
      "/meters/1/points/1/name: duplicate point name 'a' (first at /meters/1/points/0)",
      expect.stringMatching(/^\/meters\/1\/points\/0\/nodeId: namespace index must be an integer/),
      expect.stringMatching(/^\/meters\/1\/points\/1\/nodeId: numeric identifier must be an integer/),
      expect.stringMatching(
        /^\/meters\/1\/points\/1\/quantity: unknown quantity 'kiloWattHours' \(known: activeEnergyImport, /,
      ),
      expect.stringMatching(/^\/meters\/1\/points\/2\/nodeId: not a node id: "foo"/),
      "/meters/1/points/2/kind: 'counter' contradicts quantity activePower, which is a gauge",
      "/meters/1/points/3/deadband: deadband applies to mode 'subscribe' only",
      '/meters/1/points/3/modulus: only counters have modulus (gasFlow is a gauge)',
    ]),
  );
  expect(errors).toHaveLength(11);
});

test('schema and semantic errors are reported together', () => {
  const c = valid() as unknown as { endpoints: Record<string, unknown>[]; meters: Record<string, unknown>[] };
  c.endpoints[0] = { id: 'plc', url: 'http://wrong', securityMode: 'Sign', securityPolicy: 'None', password: 'x' };
  c.meters[0] = {
    id: 'm1',
    line: 'L1',
    endpoint: 'missing',
    points: [{ name: 'e', nodeId: 'ns=2;s=e', quantity: 'activeEnergyImport', samplingIntervalMs: 0 }],
  };
  const errors = errorsOf(c);
  expect(errors).toEqual(
    expect.arrayContaining([
      '/endpoints/0/url: must match pattern "^opc\\.tcp://"',
      '/meters/0/points/0/samplingIntervalMs: must be >= 10',
      "/endpoints/0/securityPolicy: securityMode Sign needs a securityPolicy other than None, got 'None'",
      '/endpoints/0/password: password given without userName',
      "/meters/0/endpoint: unknown endpoint 'missing' (defined: plc)",
    ]),
  );
});

test('the error message never contains a password', () => {
  const c = valid() as unknown as { site: unknown; endpoints: Record<string, unknown>[] };
  c.site = 42;
  c.endpoints[0] = { ...c.endpoints[0], userName: 'u', password: 'Hunter2-secret' };
  try {
    validateOpcUaConfig(c, 'test.yaml');
    throw new Error('expected failure');
  } catch (err) {
    expect(JSON.stringify({ m: (err as Error).message, d: (err as PcfError).details })).not.toContain('Hunter2-secret');
  }
});

test('a meter serial-number node id is checked like a point node id', () => {
  const c = valid() as unknown as { meters: Record<string, unknown>[] };
  c.meters[0] = { ...c.meters[0], serialNodeId: 'ns=2;serial' };
  expect(errorsOf(c)).toEqual([expect.stringMatching(/^\/meters\/0\/serialNodeId: not a node id: "ns=2;serial"/)]);
  c.meters[0] = { ...c.meters[0], serialNodeId: 'nsu=urn:acme;s=M1.Serial' };
  expect(validateOpcUaConfig(c, 'test.yaml').meters[0]?.serialNodeId).toBe('nsu=urn:acme;s=M1.Serial');
});

test('the sample configuration validates', () => {
  const c = loadOpcUaConfig(join(__dirname, '..', 'config.sample.yaml'));
  expect(c.meters.map((m) => m.id)).toEqual(['gas-main', 'el-line1', 'counter-line1']);
});

test('retry: the old `reconnect` spelling is accepted for one release with a warning naming file, old and new key', () => {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  const old = valid() as { endpoints: Record<string, unknown>[] };
  old.endpoints[0]!.reconnect = { initialDelayMs: 200, maxDelayMs: 5000 };
  const c = validateOpcUaConfig(old, 'site.yaml', log);
  expect(c.endpoints[0]?.retry).toEqual({ initialDelayMs: 200, maxDelayMs: 5000, multiplier: 2, jitter: 'none' });
  expect(lines.map((l) => [l.level, l.file, l.oldKey, l.newKey])).toEqual([
    [40, 'site.yaml', '/endpoints/0/reconnect', '/endpoints/0/retry'],
  ]);
  expect(validateOpcUaConfig(valid(), 'new.yaml').endpoints[0]?.retry).toEqual({
    initialDelayMs: 1000,
    maxDelayMs: 30000,
    multiplier: 2,
    jitter: 'none',
  });
  old.endpoints[0]!.reconnect = { initialDelayMs: 2000, maxDelayMs: 500 };
  expect(errorsOf(old)).toEqual(['/endpoints/0/reconnect/maxDelayMs: 500 is smaller than initialDelayMs (2000)']);
  old.endpoints[0]!.retry = {};
  expect(errorsOf(old)).toEqual([
    '/endpoints/0/reconnect: deprecated spelling of /endpoints/0/retry, which is also given; keep only /endpoints/0/retry',
  ]);
});

test("a meter's role is one the aggregator knows, and its description is published for the aggregator", () => {
  const bad = valid() as unknown as { meters: Record<string, unknown>[] };
  bad.meters[0] = { ...bad.meters[0], role: 'main meter' };
  expect(errorsOf(bad)).toEqual([
    '/meters/0/role: must be equal to one of the allowed values (lineTotal, subMeter, baseload)',
  ]);
  const c = valid() as unknown as { meters: Record<string, unknown>[] };
  c.meters[0] = {
    ...c.meters[0],
    role: 'lineTotal',
    points: [
      { name: 'wh', nodeId: 'ns=2;s=wh', quantity: 'activeEnergyImport', scale: 0.001, modulus: 4294967.296 },
      { name: 'kwh', nodeId: 'ns=2;s=kwh', quantity: 'activeEnergyImport', maxRatePerHour: 80 },
      { name: 'p', nodeId: 'ns=2;s=p', quantity: 'activePower' },
    ],
  };
  expect(siteClaimsOf(validateOpcUaConfig(c, 'test.yaml'))).toEqual([
    { meterId: '', field: 'site', value: 'plant-1', strength: 'given', place: '/site' },
    { meterId: 'm1', field: 'line', value: 'L1', strength: 'given', place: '/meters/0/line' },
    { meterId: 'm1', field: 'role', value: 'lineTotal', strength: 'given', place: '/meters/0/role' },
    {
      meterId: 'm1',
      field: 'points/wh/modulus',
      value: 4294967.296,
      strength: 'given',
      place: '/meters/0/points/0/modulus',
    },
    {
      meterId: 'm1',
      field: 'points/kwh/maxRatePerHour',
      value: 80,
      strength: 'given',
      place: '/meters/0/points/1/maxRatePerHour',
    },
    {
      meterId: 'm1',
      field: 'points/kwh/twinOf',
      value: 'wh',
      strength: 'default',
      place: '/meters/0/points/1 (after wh)',
    },
  ]);
});
