import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { asciiOnly, bundle } from '../build-components';
import { stageAwsCrt } from './aws-crt';
import { COMPONENTS } from './components';

/**
 * The Modbus collector's shipped bundle loads the Greengrass IPC SDK (and its native CRT) only when it runs under
 * Greengrass (ADR 0227): run from a config file it does not. Native addons loaded are recorded by a preload that
 * wraps process.dlopen.
 */
jest.setTimeout(120_000);
const ROOT = resolve(__dirname, '..', '..');
// under node_modules so that the packages left out of the bundle (better-sqlite3) resolve as in the repository
const CACHE = join(ROOT, 'node_modules', '.cache');
let dir: string;
let main: string;
let preload: string;

beforeAll(async () => {
  mkdirSync(CACHE, { recursive: true });
  dir = mkdtempSync(join(CACHE, 'collector-startup-'));
  const spec = COMPONENTS.find((c) => c.dir === 'modbus-collector')!;
  await bundle(spec, join(ROOT, 'components', spec.dir), join(dir, 'stage'));
  stageAwsCrt(ROOT, join(dir, 'stage'), 'amd64');
  main = join(dir, 'stage', 'main.js');
  preload = join(dir, 'record-addons.js');
  writeFileSync(
    preload,
    `const dlopen = process.dlopen; const loaded = [];
process.dlopen = function (m, file, ...rest) { loaded.push(file); return dlopen.call(this, m, file, ...rest); };
process.on('exit', () => process.stderr.write('ADDONS ' + JSON.stringify(loaded) + '\\n'));\n`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}): { status: number | null; addons: string[] } {
  const clean = { ...process.env };
  delete clean.AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT;
  delete clean.SVCUID;
  const res = spawnSync(process.execPath, ['-r', preload, main, ...args], {
    cwd: dir,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = res.stderr.split('\n').find((l) => l.startsWith('ADDONS '));
  if (!line) throw new Error(`no ADDONS line:\n${res.stderr}`);
  return { status: res.status, addons: JSON.parse(line.slice(7)) as string[] };
}

const crt = (addons: string[]) => addons.filter((a) => a.includes('aws-crt'));

test('run from a config file, the collector does not load the Greengrass IPC SDK', () => {
  const config = join(dir, 'collector.json');
  writeFileSync(config, JSON.stringify({ site: 'plant-1' })); // invalid (no devices, no meters): exits after loading
  const r = run(['--config', config]);
  expect(r.status).toBe(2);
  expect(crt(r.addons)).toEqual([]);
  expect(crt(run(['--help']).addons)).toEqual([]);
});

test('under Greengrass it does (the IPC connection fails here: no nucleus)', () => {
  const r = run([], {
    AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: join(dir, 'no-nucleus.socket'),
    SVCUID: 'token',
  });
  expect(r.status).not.toBe(0);
  expect(crt(r.addons)).toHaveLength(1);
});

test('the bundle is ASCII, so V8 keeps its source as a one-byte string (docs/perf/collect.md)', () => {
  // the source still has a non-ASCII character in a comment esbuild keeps (shared/store/src/store.ts)
  expect(readFileSync(join(ROOT, 'shared', 'store', 'src', 'store.ts'), 'utf8')).toMatch(/[^\x00-\x7f]/);
  expect(readFileSync(main, 'latin1')).not.toMatch(/[^\x00-\x7f]/);
});

test('asciiOnly escapes what code means the same and leaves ASCII alone', () => {
  const code = "const s = '≤ µs ⇒ 😀'; /* ⇒ */ const r = /é/u.test('é');";
  const escaped = asciiOnly(code);
  expect(escaped).not.toMatch(/[^\x00-\x7f]/);
  const run = (c: string) => new Function(`${c}; return [s, r];`)() as unknown;
  expect(run(escaped)).toEqual(['≤ µs ⇒ 😀', true]);
  expect(asciiOnly('plain // ascii')).toBe('plain // ascii');
});
