import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { openStore } from '@pcf-edge/store';
import { eventually } from './support/harness';
import { startTestServer, TEST_NS, type TestServer } from './support/server';

jest.mock('hexy', () => jest.requireActual('./support/hexy-mock').hexyMock);
jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'components/opcua-collector/src/main.ts');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

let dir: string;
let server: TestServer;
const children: ChildProcess[] = [];

function run(args: string[]): {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(TSX, [MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, out: () => out, err: () => err, exit };
}

const meter = (points: { name: string; node: string }[]) => ({
  id: 'm',
  line: 'L',
  endpoint: 'plc',
  points: points.map((p) => ({
    name: p.name,
    nodeId: `nsu=${TEST_NS};s=${p.node}`,
    quantity: 'unitsProduced',
    samplingIntervalMs: 100,
  })),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opcua-cli-'));
  server = await startTestServer(join(dir, 'server-pki'), [
    { name: 'a', dataType: 'UInt32', value: 11 },
    { name: 'b', dataType: 'UInt32', value: 22 },
  ]);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('--help prints usage and exits 0', async () => {
  const p = run(['--help']);
  expect(await p.exit).toBe(0);
  expect(p.out()).toContain('npm run opcua-collector -- --config <file> [--store <sqlite file>]');
});

test('a bad config at start-up exits non-zero naming every bad path', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    stringify({
      site: 's',
      endpoints: [{ id: 'plc', url: server.url }],
      meters: [
        {
          ...meter([{ name: 'a', node: 'a' }]),
          endpoint: 'nope',
          points: [{ name: 'a', nodeId: 'ns=2;q=1', quantity: 'watts' }],
        },
      ],
    }),
  );
  const p = run(['--config', file, '--store', join(dir, 'unused.sqlite')]);
  expect(await p.exit).toBe(2);
  expect(p.err()).toContain('ERR_CONFIG_INVALID');
  expect(p.err()).toContain("/meters/0/endpoint: unknown endpoint 'nope'");
  expect(p.err()).toContain('/meters/0/points/0/nodeId: not a node id');
  expect(p.err()).toContain("/meters/0/points/0/quantity: unknown quantity 'watts'");
});

test('runs against the store, rejects a bad config change, applies a good one, stops cleanly on SIGTERM', async () => {
  const file = join(dir, 'collector.yaml');
  const storeFile = join(dir, 'gateway.sqlite');
  const base = {
    site: 's',
    healthIntervalMs: 200,
    batch: { maxBatch: 10, maxDelayMs: 100 },
    endpoints: [{ id: 'plc', url: server.url, pkiDir: join(dir, 'client-pki') }],
  };
  writeFileSync(file, stringify({ ...base, meters: [meter([{ name: 'a', node: 'a' }])] }));
  const p = run(['--config', file, '--store', storeFile]);
  const store = openStore(storeFile);
  try {
    const points = () => new Set(store.readingsAfter(0, 100_000).map((r) => `${r.point}=${String(r.value)}`));
    await eventually(() => points().has('a=11'), 120_000, 'reading a=11 in the store');

    writeFileSync(file, stringify({ ...base, meters: [{ ...meter([{ name: 'b', node: 'b' }]), endpoint: 'ghost' }] }));
    await eventually(() => p.err().includes('configuration file change rejected'), 60_000, 'rejection logged');
    expect(p.err()).toContain("/meters/0/endpoint: unknown endpoint 'ghost'");
    server.set('a', 12);
    await eventually(() => points().has('a=12'), 60_000, 'a=12 still collected on the old config');
    expect(points().has('b=22')).toBe(false);

    writeFileSync(
      file,
      stringify({
        ...base,
        meters: [
          meter([
            { name: 'a', node: 'a' },
            { name: 'b', node: 'b' },
          ]),
        ],
      }),
    );
    await eventually(() => points().has('b=22'), 60_000, 'b=22 after the good change');

    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(store.listMeterHealth()).toEqual([
      expect.objectContaining({ meterId: 'm', collector: 'opcua-collector', state: 'ok' }),
    ]);
  } finally {
    store.close();
  }
});
