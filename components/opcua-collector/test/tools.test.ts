import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { createLogger, ManualClock, readDataFile, silentLogger } from '@pcf-edge/core';
import { createMeterSimulator, validateScenario, type MeterSimulator, type Scenario } from '@pcf-edge/meter-simulators';
import { divideToInteger } from '@pcf-edge/profiles';
import { createOpcUaCollector } from '../src/collector';
import { validateOpcUaConfig } from '../src/config';
import { runTool } from '../src/tools/commands';
import { dryRunOpcUa } from '../src/tools/dry-run';
import { capture } from './support/harness';

jest.mock('hexy', () => jest.requireActual('./support/hexy-mock').hexyMock);
jest.setTimeout(240_000);

/**
 * The OT engineer's tools against the meter simulator's OPC UA server (demo scenario): `browse`, `--dry-run` and
 * `trust`. The server offers None and SignAndEncrypt (Basic256Sha256) and accepts only client certificates in its
 * trusted folder, as a production server does: the secure endpoint starts with this client refusing the server's
 * certificate and the server refusing the client's, and both are then trusted the way docs/deploy.md shows.
 */
const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'components/opcua-collector/src/main.ts');
const NS = 'urn:pcf-edge:simulator';
const AT = Date.parse('2026-11-02T13:05:00Z');
const dir = mkdtempSync(join(tmpdir(), 'opcua-tools-'));
const serverPki = join(dir, 'server-pki');
let sim: MeterSimulator;
let url: string;

beforeAll(async () => {
  const raw = readDataFile(join(ROOT, 'simulators/scenarios/demo-factory.yaml')) as Scenario & {
    opcua: Record<string, unknown>;
  };
  for (const d of raw.modbus.devices) d.port = 0;
  raw.modbus.devices = raw.modbus.devices.slice(0, 1);
  raw.opcua.port = 0;
  raw.opcua.security = { modes: ['None', 'SignAndEncrypt'], clientCertificates: 'trustedOnly', pkiDir: serverPki };
  raw.faults = [];
  const scenario = structuredClone(validateScenario(raw, 'tools test')) as Scenario;
  sim = createMeterSimulator(scenario, { clock: new ManualClock(AT), log: silentLogger() });
  await sim.start();
  url = sim.opcua?.endpoint as string;
});

afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function tool(
  command: 'browse' | 'trust',
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runTool(command, argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

const secure = (pkiDir: string) => [
  '--security-mode',
  'SignAndEncrypt',
  '--security-policy',
  'Basic256Sha256',
  '--pki-dir',
  pkiDir,
];

/** The simulator's UInt64 Wh node: the integer Wh of the truth's kWh at AT. */
const ovenWh = (): string =>
  divideToInteger(sim.truth.at(AT).meters['line2-oven']?.points.EnergyImportWh as number, 0.001).toString();

describe('browse', () => {
  test('lists nodes below a path with config-ready node ids, data types and current values', async () => {
    const r = await tool(
      'browse',
      '--endpoint',
      url,
      '--pki-dir',
      join(dir, 'pki-none'),
      '--path',
      'Meters',
      '--depth',
      '2',
    );
    expect(r).toMatchObject({ code: 0, err: '' });
    const row = r.out.split('\n').find((l) => l.includes('line2-oven/EnergyImportWh'));
    expect(row?.split(/\s+/).filter(Boolean)).toEqual([
      'line2-oven/EnergyImportWh',
      'Variable',
      'UInt64',
      ovenWh(),
      'Good',
      `nsu=${NS};s=line2-oven.EnergyImportWh`,
    ]);

    const json = await tool(
      'browse',
      '--endpoint',
      url,
      '--pki-dir',
      join(dir, 'pki-none'),
      '--path',
      `nsu=${NS};s=line2-gas`,
      '--json',
    );
    const report = JSON.parse(json.out) as { start: { nodeId: string }; nodes: Record<string, unknown>[] };
    expect(report.start.nodeId).toBe(`nsu=${NS};s=line2-gas`);
    expect(report.nodes).toContainEqual({
      path: 'Volume',
      nodeId: `nsu=${NS};s=line2-gas.Volume`,
      nodeClass: 'Variable',
      dataType: 'Double',
      value: sim.truth.at(AT).meters['line2-gas']?.points.Volume,
      status: 'Good',
    });
  });

  test('errors name what is wrong', async () => {
    const pki = ['--pki-dir', join(dir, 'pki-none')];
    expect(await tool('browse', '--endpoint', url, ...pki, '--path', 'Meters/line9')).toMatchObject({
      code: 1,
      err: expect.stringContaining(
        "ERR_NOT_FOUND: --path Meters/line9: no node 'line9' under /Objects/Meters (there: line1-counter,",
      ) as string,
    });
    expect(await tool('browse', '--endpoint', 'http://plc:4840')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--endpoint: must match pattern') as string,
    });
    expect(await tool('browse', '--endpoint', url, '--depth', '0')).toMatchObject({
      code: 2,
      err: "ERR_USAGE: --depth must be an integer 1..10, got '0'\n",
    });
    expect(await tool('browse', '--endpoint', 'opc.tcp://127.0.0.1:1/UA/x', ...pki)).toMatchObject({
      code: 1,
      err: expect.stringMatching(
        /^ERR_OPCUA: cannot connect to opc\.tcp:\/\/127\.0\.0\.1:1\/UA\/x \(None\/None\): .*ECONNREFUSED/,
      ) as string,
    });
  });
});

describe('a SignAndEncrypt endpoint: trusted on both sides, then browsed and dry-run', () => {
  const pki = join(dir, 'collector-pki');
  let thumbprint = '';

  test('the server certificate starts rejected; the error says how to accept it', async () => {
    const r = await tool('browse', '--endpoint', url, ...secure(pki));
    expect(r.code).toBe(1);
    const m =
      /^ERR_OPCUA: the server certificate of (\S+) is not trusted \(thumbprint ([0-9a-f]{40})\); it was put in (\S+)\. .* opcua-collector trust --pki-dir (\S+) --accept ([0-9a-f]{40})$/m.exec(
        r.err,
      );
    expect(m?.slice(1)).toEqual([url, expect.any(String), join(pki, 'rejected'), pki, m?.[2]]);
    thumbprint = m?.[2] as string;

    const list = JSON.parse((await tool('trust', '--pki-dir', pki, '--list', '--json')).out) as {
      certificates: { store: string; thumbprint: string }[];
    };
    expect(list.certificates.filter((c) => c.store === 'rejected').map((c) => c.thumbprint)).toEqual([thumbprint]);
    expect(list.certificates.filter((c) => c.store === 'trusted')).toEqual([]);
    expect(list.certificates.filter((c) => c.store === 'own')).toHaveLength(1);
  });

  test('trust --accept moves it to the trusted ones; then the server refuses the client until trusted there', async () => {
    const accepted = await tool('trust', '--pki-dir', pki, '--accept', thumbprint.slice(0, 10));
    expect(accepted).toMatchObject({
      code: 0,
      out: expect.stringMatching(new RegExp(`^trusted: ${thumbprint} `)) as string,
    });
    expect((await tool('trust', '--pki-dir', pki, '--accept', thumbprint)).out).toMatch(/^already trusted: /);
    const text = (await tool('trust', '--pki-dir', pki, '--list')).out;
    expect(text).toMatch(new RegExp(`trusted \\(server certificates this collector accepts\\):\\n  ${thumbprint} `));

    const refused = await tool('browse', '--endpoint', url, ...secure(pki));
    expect(refused.code).toBe(1);
    const own = join(pki, 'own', 'certs', 'client_certificate.pem');
    expect(refused.err).toContain(`ERR_OPCUA: ${url} refused the client certificate`);
    expect(refused.err).toContain(`trust ${own} on the server`);

    // On the server side (docs/deploy.md): its administrator moves the client certificate, which the server put
    // in its rejected list when it refused it, into its trusted list (this client's own/certs file is the same).
    const clientThumbprint = JSON.parse(
      (await tool('trust', '--pki-dir', pki, '--list', '--json')).out,
    ).certificates.find((c: { store: string }) => c.store === 'own').thumbprint as string;
    const atServer = readdirSync(join(serverPki, 'rejected')).find((f) => f.includes(clientThumbprint)) as string;
    expect(atServer).toBeDefined();
    renameSync(join(serverPki, 'rejected', atServer), join(serverPki, 'trusted', 'certs', atServer));
    // The server's certificate manager watches its folders: retried until it has seen the new file.
    let last = refused;
    for (let i = 0; i < 30 && last.code !== 0; i++) {
      last = await tool('browse', '--endpoint', url, ...secure(pki), '--path', 'Meters/line2-oven');
      if (last.code !== 0) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(last).toMatchObject({ code: 0, err: '' });
    expect(last.out).toMatch(new RegExp(`EnergyImportWh\\s+Variable\\s+UInt64\\s+${ovenWh()}\\s+Good`));
  });

  test('--dry-run reads every configured point once over the secure endpoint: status codes and decoded values', async () => {
    const config = {
      site: 'plant-1',
      endpoints: [
        { id: 'sim', url, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', pkiDir: pki },
        { id: 'gone', url: 'opc.tcp://127.0.0.1:1/UA/gone', pkiDir: join(dir, 'pki-none') },
      ],
      meters: [
        {
          id: 'line2-oven',
          line: 'line-2',
          role: 'lineTotal',
          endpoint: 'sim',
          serialNodeId: `nsu=${NS};s=line2-oven.Serial`,
          points: [
            {
              name: 'energy',
              nodeId: `nsu=${NS};s=line2-oven.EnergyImportWh`,
              quantity: 'activeEnergyImport',
              scale: 0.001,
            },
            { name: 'typo', nodeId: `nsu=${NS};s=line2-oven.Enrgy`, quantity: 'activeEnergyImport' },
          ],
        },
        {
          id: 'far',
          line: 'line-2',
          endpoint: 'gone',
          points: [{ name: 'p', nodeId: 'ns=2;s=p', quantity: 'activePower' }],
        },
      ],
    };
    const report = await dryRunOpcUa(validateOpcUaConfig(config, 'test'));
    const [sim1, gone] = report.endpoints;
    expect(sim1).toMatchObject({
      id: 'sim',
      security: 'SignAndEncrypt/Basic256Sha256',
      serials: { 'line2-oven': 'OVEN-EM-01' },
    });
    expect(sim1?.error).toBeUndefined();
    expect(sim1?.points).toEqual([
      {
        meter: 'line2-oven',
        point: 'energy',
        nodeId: `nsu=${NS};s=line2-oven.EnergyImportWh`,
        quantity: 'activeEnergyImport',
        status: 'Good',
        raw: ovenWh(),
        value: Number(ovenWh()) / 1000,
        unit: 'kWh',
        quality: 'good',
      },
      {
        meter: 'line2-oven',
        point: 'typo',
        nodeId: `nsu=${NS};s=line2-oven.Enrgy`,
        quantity: 'activeEnergyImport',
        status: 'BadNodeIdUnknown',
        raw: null,
        value: null,
        unit: 'kWh',
        quality: 'bad',
        qualityReason: 'BadNodeIdUnknown',
      },
    ]);
    expect(gone?.error).toMatch(/^ERR_OPCUA: cannot connect to opc\.tcp:\/\/127\.0\.0\.1:1\/UA\/gone/);
    expect(gone?.points[0]).toMatchObject({ quality: 'bad', qualityReason: 'not read: endpoint gone failed' });

    // The same through the command line, as an OT engineer runs it: JSON on stdout, exit 1 for the endpoint down.
    const file = join(dir, 'collector.yaml');
    writeFileSync(file, stringify(config));
    const run = promisify(execFile)(
      process.execPath,
      [require.resolve('tsx/cli'), MAIN, '--config', file, '--dry-run', '--json'],
      { cwd: ROOT },
    );
    const failed = (await run.catch((e: unknown) => e)) as { code: number; stdout: string };
    expect(failed.code).toBe(1);
    const printed = JSON.parse(failed.stdout) as typeof report;
    expect(printed.endpoints[0]?.points[0]).toMatchObject({ status: 'Good', value: Number(ovenWh()) / 1000 });
  });
});

describe('trust: errors name what is wrong', () => {
  test('bad thumbprint, unknown thumbprint, no PKI folder, no action', async () => {
    const pki = join(dir, 'collector-pki');
    expect(await tool('trust', '--pki-dir', pki, '--accept', 'xyz')).toMatchObject({
      code: 2,
      err: expect.stringContaining("--accept: 'xyz' is not a certificate thumbprint") as string,
    });
    expect(await tool('trust', '--pki-dir', pki, '--accept', 'abcdef0123')).toMatchObject({
      code: 1,
      err: expect.stringContaining(
        `--accept: no certificate with thumbprint abcdef0123 in ${join(pki, 'rejected')}`,
      ) as string,
    });
    const missing = join(dir, 'no-such-pki');
    expect(await tool('trust', '--pki-dir', missing, '--list')).toMatchObject({
      code: 1,
      err: expect.stringContaining(`${missing} is not a collector PKI folder`) as string,
    });
    expect(existsSync(missing)).toBe(false);
    expect(await tool('trust', '--pki-dir', pki)).toMatchObject({
      code: 2,
      err: expect.stringContaining(
        'give exactly one of --list, --accept <thumbprint>, --reject <thumbprint>',
      ) as string,
    });
  });

  test('--reject takes a trusted server certificate back', async () => {
    const pki = join(dir, 'collector-pki');
    const trusted = readdirSync(join(pki, 'trusted', 'certs'));
    expect(trusted).toHaveLength(1);
    const thumbprint = /\[([0-9a-f]{40})\]/.exec(trusted[0] as string)?.[1] as string;
    expect((await tool('trust', '--pki-dir', pki, '--reject', thumbprint)).out).toMatch(/^rejected: /);
    expect(readdirSync(join(pki, 'trusted', 'certs'))).toEqual([]);
    expect((await tool('browse', '--endpoint', url, ...secure(pki))).err).toContain('is not trusted');
  });
});

test('a running collector logs how to trust the server and connects once it is accepted, without a restart', async () => {
  const pki = join(dir, 'collector-pki'); // the server certificate was rejected again by the test above
  const config = validateOpcUaConfig(
    {
      site: 'plant-1',
      endpoints: [
        {
          id: 'sim',
          url,
          securityMode: 'SignAndEncrypt',
          securityPolicy: 'Basic256Sha256',
          pkiDir: pki,
          retry: { initialDelayMs: 200, maxDelayMs: 1000 },
        },
      ],
      meters: [
        {
          id: 'line2-oven',
          line: 'line-2',
          endpoint: 'sim',
          points: [
            {
              name: 'energy',
              nodeId: `nsu=${NS};s=line2-oven.EnergyImportWh`,
              quantity: 'activeEnergyImport',
              scale: 0.001,
              mode: 'poll',
              samplingIntervalMs: 200,
            },
          ],
        },
      ],
    },
    'test',
  );
  const cap = capture();
  const lines: string[] = [];
  const log = createLogger({ component: 'opcua-collector', destination: { write: (s: string) => lines.push(s) } });
  const collector = createOpcUaCollector(config, { ...cap.deps, log });
  await collector.start();
  try {
    const bad = await cap.waitFor((r) => r.quality === 'bad', 60_000, 'a bad reading while the server is untrusted');
    expect(bad.qualityReason).toMatch(/BadCertificateUntrusted|verification failed/);
    const warning = lines.map((l) => JSON.parse(l) as { msg: string; action?: string }).find((l) => l.action);
    expect(warning).toMatchObject({
      msg: 'endpoint lost; rebuilding session',
      action:
        `the server certificate is not trusted; it was put in ${join(pki, 'rejected')}. Check that it is your ` +
        `server's, then trust it: opcua-collector trust --pki-dir ${pki} --accept <thumbprint> (trust --list shows it)`,
    });
    const rejected = JSON.parse((await tool('trust', '--pki-dir', pki, '--list', '--json')).out) as {
      certificates: { store: string; thumbprint: string }[];
    };
    const thumbprint = rejected.certificates.find((c) => c.store === 'rejected')?.thumbprint as string;
    expect((await tool('trust', '--pki-dir', pki, '--accept', thumbprint)).code).toBe(0);
    const good = await cap.waitFor((r) => r.quality === 'good', 60_000, 'a good reading after trust --accept');
    expect(good.value).toBe(Number(ovenWh()) / 1000);
  } finally {
    await collector.stop();
  }
});

test('every command answers --help', async () => {
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, [require.resolve('tsx/cli'), MAIN, ...args], { cwd: ROOT });
  const [main, browseHelp, trustHelp] = await Promise.all([
    run('--help'),
    run('browse', '--help'),
    run('trust', '--help'),
  ]);
  expect(main.stdout).toContain('--dry-run');
  expect(main.stdout).toContain('browse');
  expect(browseHelp.stdout).toContain('opcua-collector browse --endpoint <opc.tcp://host:port[/path]>');
  expect(trustHelp.stdout).toContain('--accept <thumbprint>');
});
