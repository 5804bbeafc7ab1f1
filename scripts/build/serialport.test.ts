import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { SerialPort } from 'serialport';
import { openPtyPair, type PtyPair } from '../../test-support/pty-pair';
import { serialportPlugin, stageSerialport } from './serialport';

/**
 * A bundle that opens a serial port, as the Modbus collector's zip does for an RTU bus, run by plain node from a
 * folder outside the repository (no repository package reachable) and writing across a socat PTY pair.
 */
const ROOT = resolve(__dirname, '..', '..');
const OPENER = `
const { SerialPort } = require('serialport');
const port = new SerialPort({ path: process.argv[2], baudRate: 9600, autoOpen: false });
port.open((err) => {
  if (err) { process.stderr.write(err.message); process.exit(1); }
  port.write('ok', () => port.drain(() => port.close(() => process.exit(0))));
});`;

const dirs: string[] = [];
let pty: PtyPair;

beforeAll(async () => {
  pty = await openPtyPair();
});
afterAll(async () => {
  await pty.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function bundle(plugins: Plugin[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pcf-edge-serialport-'));
  dirs.push(dir);
  await build({
    stdin: { contents: OPENER, resolveDir: ROOT, loader: 'js' },
    outfile: join(dir, 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
    plugins,
  });
  return dir;
}

async function run(dir: string): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, [join(dir, 'main.js'), pty.a], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
    });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

it('with the plugin and the staged addons, the bundle opens the port and writes to it', async () => {
  const dir = await bundle([serialportPlugin]);
  stageSerialport(ROOT, dir, process.arch === 'arm64' ? 'aarch64' : 'amd64');
  const far = new SerialPort({ path: pty.b, baudRate: 9600, autoOpen: false });
  await new Promise<void>((res, rej) => far.open((err) => (err ? rej(err) : res())));
  try {
    const received = new Promise<string>((res) => far.once('data', (d: Buffer) => res(d.toString())));
    expect(await run(dir)).toEqual({ code: 0, stderr: '' });
    expect(await received).toBe('ok');
  } finally {
    await new Promise<void>((res) => far.close(() => res()));
  }
});

it('without them the bundled loader finds no addon (what the plugin is for)', async () => {
  const dir = await bundle([]);
  const res = await run(dir);
  expect(res.code).not.toBe(0);
  expect(res.stderr).toContain('No native build was found');
});

it.each([
  ['amd64', 'linux-x64'],
  ['aarch64', 'linux-arm64'],
] as const)('stages for %s only the glibc addon of %s', (arch, platform) => {
  const dir = mkdtempSync(join(tmpdir(), 'pcf-edge-serialport-'));
  dirs.push(dir);
  stageSerialport(ROOT, dir, arch);
  const prebuilds = join(dir, 'node_modules/@serialport/bindings-cpp/prebuilds');
  expect(readdirSync(prebuilds)).toEqual([platform]);
  expect(readdirSync(join(prebuilds, platform))).toEqual([expect.stringContaining('glibc')]);
});
