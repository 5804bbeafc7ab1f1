import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import {
  lifecycleStep,
  runStep,
  type DeployedComponent,
  type Nucleus,
  type RecipeDoc,
} from '../../test-support/greengrass-lifecycle/nucleus';
import { COMPONENTS } from './components';
import { NODE_RUNTIME_COMPONENT } from './node-runtime';

// Each hostile field runs a few hundred shell steps (and node for the Run steps): tens of seconds on a busy machine.
jest.setTimeout(300_000);

/**
 * The recipes' Install and Run steps, run as the nucleus runs them (interpolation, `sh -c`, Setenv) on a
 * temporary Greengrass root, with hostile values in every configuration value a Lifecycle templates. Nothing a
 * value carries may execute, and nothing outside the store's own folder may change (real /var included).
 */
const ROOT = resolve(__dirname, '..', '..');
const LIFECYCLE = join(ROOT, 'recipes', 'lifecycle.sh');
const PLATFORM = { os: 'linux', architecture: 'amd64' };
const NAMES = [NODE_RUNTIME_COMPONENT, ...COMPONENTS.map((c) => c.componentName)];
const DIRS: Record<string, string> = Object.fromEntries(COMPONENTS.map((c) => [c.componentName, c.dir]));
const recipeOf = (name: string): RecipeDoc =>
  parse(readFileSync(join(ROOT, 'recipes', `${name}.yaml`), 'utf8')) as RecipeDoc;
const isRoot = process.getuid?.() === 0;

let tmp: string;
let ggRoot: string;
let storeDir: string;

/** The recorder every component's main.js is here: what the Run step executed, with which cwd and environment. */
const RECORDER = `require('fs').writeFileSync(process.env.PCF_EDGE_RECORD, JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), store: process.env.PCF_EDGE_STORE }));`;

function layout(): void {
  tmp = mkdtempSync(join(tmpdir(), 'pcf-edge-lifecycle-'));
  ggRoot = join(tmp, 'greengrass', 'v2');
  storeDir = join(ggRoot, 'work', 'pcf-edge');
  for (const name of NAMES) {
    const work = join(ggRoot, 'work', name);
    mkdirSync(work, { recursive: true });
    // The nucleus creates each work folder for the component's user; here 'nobody' when we can chown.
    if (isRoot) chownSync(work, 65534, 65534);
    const unarchived = join(ggRoot, 'packages', 'artifacts-unarchived', name, '1.0.0');
    if (name === NODE_RUNTIME_COMPONENT) {
      const dir = join(unarchived, 'node-runtime-amd64');
      mkdirSync(join(dir, 'bin'), { recursive: true });
      symlinkSync(process.execPath, join(dir, 'bin', 'node'));
      copyFileSync(LIFECYCLE, join(dir, 'lifecycle.sh'));
    } else {
      const dir = join(unarchived, `${DIRS[name] as string}-amd64`);
      mkdirSync(dir, { recursive: true });
      copyFileSync(LIFECYCLE, join(dir, 'lifecycle.sh'));
      writeFileSync(join(dir, 'main.js'), RECORDER);
    }
  }
  mkdirSync(join(tmp, 'outside'));
  writeFileSync(join(tmp, 'outside', 'keep.sqlite'), 'data');
  mkdirSync(join(tmp, 'records'));
}

const goodStore = (): string => join(storeDir, 'gateway.sqlite');

/** The deployment: recipe defaults, the store under this temporary Greengrass root, then `config` merged. */
function nucleus(config: Record<string, Record<string, unknown>>): Nucleus {
  const components: Record<string, DeployedComponent> = {};
  for (const name of NAMES) {
    const recipe = recipeOf(name);
    const unarchived = join(ggRoot, 'packages', 'artifacts-unarchived', name, '1.0.0');
    const defaults = recipe.ComponentConfiguration?.DefaultConfiguration ?? {};
    components[name] = {
      recipe,
      configuration: { ...defaults, ...('storePath' in defaults ? { storePath: goodStore() } : {}), ...config[name] },
      artifactsPath: join(ggRoot, 'packages', 'artifacts', name, '1.0.0'),
      decompressedPath: unarchived,
      workPath: join(ggRoot, 'work', name),
    };
  }
  return { rootPath: ggRoot, thingName: 'gw-1', components };
}

/**
 * path → mode, owner, size and mtime of everything under `dir`, except the store folder and the records (and the
 * mtime of the store folder's parent, which its creation changes).
 */
function snapshot(dir: string): Map<string, string> {
  const skip = [storeDir, join(tmp, 'records')];
  const out = new Map<string, string>();
  const walk = (p: string): void => {
    if (skip.includes(p)) return;
    const s = lstatSync(p);
    const mtime = p === dirname(storeDir) ? '' : ` ${s.mtimeMs}`;
    out.set(p, `${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.size}${mtime}`);
    if (s.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(dir);
  return out;
}

const statOf = (p: string): string => {
  const s = statSync(p);
  return `${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.mtimeMs}`;
};

interface StepResult {
  name: string;
  step: string;
  status: number | null;
  stderr: string;
}

/** Runs the Install steps (runtime first), then the Run steps of `names`, as the nucleus would. */
function deployAndRun(n: Nucleus, names: readonly string[] = NAMES): StepResult[] {
  const results: StepResult[] = [];
  for (const step of ['Install', 'Run']) {
    for (const name of names) {
      const s = lifecycleStep(n, name, step, PLATFORM);
      if (!s) continue;
      const record = join(tmp, 'records', `${name}.json`);
      const r = runStep(s, { cwd: tmp, extraEnv: { PCF_EDGE_RECORD: record }, timeoutMs: 30_000 });
      results.push({ name, step, status: r.status, stderr: r.stderr });
    }
  }
  return results;
}

/** Values an attacker (or a typo) could put in a deployment: shell syntax, traversal, other places. */
function hostileValues(canary: (i: number) => string): string[] {
  return [
    `$(touch ${canary(0)})`,
    `\`touch ${canary(1)}\``,
    `x'; touch ${canary(2)}; echo '`,
    `x"; touch ${canary(3)}; echo "`,
    `a.sqlite; touch ${canary(4)}`,
    `a.sqlite\ntouch ${canary(5)}`,
    `a.sqlite && touch ${canary(6)}`,
    `$(touch ${canary(7)}).sqlite`,
    '/var/x.sqlite',
    '/var',
    `__ROOT__/work/pcf-edge/../../../../outside/keep.sqlite`,
    `__ROOT__/work/pcf-edge/../pcf-edge-evil/x.sqlite`,
    `__ROOT__/work/pcf-edge/.hidden.sqlite`,
    `__ROOT__/work/pcf-edge/-rf.sqlite`,
    `__ROOT__/work/pcf-edge/sub/x.sqlite`,
    `__ROOT__/work/pcf-edge/a b.sqlite`,
    `__ROOT__/work/pcf-edge/$(touch ${canary(8)}).sqlite`,
    `__ROOT__/work/pcf-edge/x.sqlite\n/var/y.sqlite`,
    '{configuration:/storePath}',
    '*',
    '',
    '--reference=/etc',
  ];
}

beforeAll(layout);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the recipes template configuration into environment variables only', () => {
  it.each(NAMES)('%s: no placeholder in any Script; every one in Setenv', (name) => {
    for (const m of recipeOf(name).Manifests) {
      const lifecycle = m.Lifecycle as Record<string, { Script?: string } | Record<string, string>>;
      for (const [key, value] of Object.entries(lifecycle)) {
        if (key === 'Setenv') continue;
        expect((value as { Script: string }).Script).not.toMatch(/\{[^}]*:[^}]*\}/);
      }
      expect(Object.values(lifecycle.Setenv as Record<string, string>).join('\n')).toMatch(/\{configuration:\//);
    }
  });

  it('templates exactly storePath (four components) and nodePath (runtime, read by the four)', () => {
    const fields = new Set<string>();
    for (const name of NAMES)
      for (const m of recipeOf(name).Manifests)
        for (const match of JSON.stringify(m.Lifecycle).matchAll(/\{(?:([.\w]+):)?configuration:([^:}]+)\}/g))
          fields.add(`${match[1] ?? name}${match[2]}`);
    expect([...fields].sort()).toEqual(
      [...COMPONENTS.map((c) => `${c.componentName}/storePath`), `${NODE_RUNTIME_COMPONENT}/nodePath`].sort(),
    );
  });
});

describe('a good configuration', () => {
  it('installs the store folder 0770 for the work folder owner, runs each component with the shipped node in its work folder', () => {
    rmSync(storeDir, { recursive: true, force: true });
    const results = deployAndRun(nucleus({}));
    expect(results.filter((r) => r.status !== 0)).toEqual([]);
    const s = statSync(storeDir);
    expect(s.mode & 0o777).toBe(0o770);
    if (isRoot) expect([s.uid, s.gid]).toEqual([65534, 65534]);
    for (const c of COMPONENTS) {
      const record = JSON.parse(readFileSync(join(tmp, 'records', `${c.componentName}.json`), 'utf8')) as {
        argv: string[];
        cwd: string;
        store: string;
      };
      expect(record.argv).toEqual([
        join(ggRoot, 'packages', 'artifacts-unarchived', c.componentName, '1.0.0', `${c.dir}-amd64`, 'main.js'),
      ]);
      expect(record.cwd).toBe(join(ggRoot, 'work', c.componentName));
      expect(record.store).toBe(goodStore());
    }
  });

  it('leaves an existing store folder with its owner and mode', () => {
    rmSync(storeDir, { recursive: true, force: true });
    mkdirSync(storeDir);
    chmodSync(storeDir, 0o751);
    const before = statOf(storeDir);
    const results = deployAndRun(nucleus({}));
    expect(results.filter((r) => r.status !== 0)).toEqual([]);
    expect(statOf(storeDir)).toBe(before);
  });
});

/** The steps that see a field: its component's, and for nodePath also the four components' (cross-component). */
describe.each([
  ...COMPONENTS.map((c) => [c.componentName, 'storePath', [c.componentName]] as const),
  [NODE_RUNTIME_COMPONENT, 'nodePath', NAMES] as const,
])('hostile %s /%s', (component, field, readers) => {
  const canary = (i: number): string => join(tmp, `pwned-${field}-${i}`);

  it('executes nothing, changes nothing outside the store folder, and fails the step that reads it', () => {
    const values = hostileValues(canary).map((v) => v.replace('__ROOT__', ggRoot));
    const varBefore = statOf('/var');
    for (const value of values) {
      rmSync(storeDir, { recursive: true, force: true });
      rmSync(join(tmp, 'records'), { recursive: true, force: true });
      mkdirSync(join(tmp, 'records'));
      const before = snapshot(tmp);
      const results = deployAndRun(nucleus({ [component]: { [field]: value } }), readers);
      const context = `${field} = ${JSON.stringify(value)}`;
      for (let i = 0; i < 9; i++) expect([context, existsSync(canary(i))]).toEqual([context, false]);
      expect([context, snapshot(tmp)]).toEqual([context, before]);
      expect([context, statOf('/var')]).toEqual([context, varBefore]);
      if (field === 'storePath') {
        expect([context, existsSync(storeDir)]).toEqual([context, false]);
        const install = results.find((r) => r.name === component && r.step === 'Install');
        expect([context, install?.status]).toEqual([context, 1]);
        expect(install?.stderr).toContain('storePath must be');
      } else {
        // Not an absolute path to a runnable node: the runtime's check fails and no component runs anything.
        const check = results.find((r) => r.name === component && r.step === 'Install');
        expect([context, check?.status]).toEqual([context, value === '' ? 0 : 1]);
        if (value !== '') expect(readdirSync(join(tmp, 'records'))).toEqual([]);
      }
    }
  });
});
