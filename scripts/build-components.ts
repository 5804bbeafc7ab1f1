/**
 * `npm run build:components`: bundles each Greengrass component into one zip that runs with only Node 20 and
 * writes version-stamped recipes, in the layout the Greengrass CLI and the GDK read (ADR 0090):
 *   greengrass-build/recipes/<ComponentName>-<version>.yaml
 *   greengrass-build/artifacts/<ComponentName>/<version>/<dir>.zip
 *   greengrass-build/gdk/<ComponentName>/  (one GDK project per component, for `gdk component publish`)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { awsCrtPlugin, stageAwsCrt } from './build/aws-crt';
import { ARCHITECTURES, COMPONENTS, type ComponentSpec, type RecipeArch } from './build/components';
import { writeGdkProject } from './build/gdk';
import { stageBetterSqlite3 } from './build/native';
import { recipeYaml, stampRecipe } from './build/recipe';

const HELP = `Builds the pcf-edge Greengrass components (zips and recipes) into greengrass-build/.

Usage:
  npm run build:components -- [--out <dir>] [--native <arch>=<better_sqlite3.node>]...

Options:
  --out <dir>       output folder (default greengrass-build)
  --native <a>=<f>  add the better-sqlite3 addon for recipe architecture <a> (amd64 | aarch64), e.g. one built by
                    \`npm ci\` on an aarch64 machine; the build machine's own addon is always included.
                    Recipes keep only the manifests of the architectures whose addon is in the zip.
  --help            this text

Requires Node 20 (the addon is built for the running Node ABI) and the \`zip\` program.`;

const ROOT = resolve(__dirname, '..');

export interface BuiltComponent {
  componentName: string;
  version: string;
  zip: string;
  recipe: string;
  architectures: RecipeArch[];
  /** Folder to run `gdk component publish` in for this component. */
  gdkProject: string;
}

function hostArch(): RecipeArch {
  const found = (Object.keys(ARCHITECTURES) as RecipeArch[]).find((a) => ARCHITECTURES[a] === process.arch);
  if (!found || process.platform !== 'linux')
    throw new Error(
      `cannot build on ${process.platform}/${process.arch}: Greengrass targets are linux amd64 and aarch64`,
    );
  return found;
}

function parseNatives(values: string[]): Map<RecipeArch, string> {
  const natives = new Map<RecipeArch, string>([
    [hostArch(), join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')],
  ]);
  for (const v of values) {
    const [arch, file] = v.split('=', 2) as [string, string | undefined];
    if (!(arch in ARCHITECTURES) || !file) throw new Error(`--native ${v}: expected amd64=<file> or aarch64=<file>`);
    if (!existsSync(file)) throw new Error(`--native ${v}: ${file} does not exist`);
    natives.set(arch as RecipeArch, resolve(file));
  }
  return natives;
}

async function buildOne(
  spec: ComponentSpec,
  out: string,
  natives: ReadonlyMap<RecipeArch, string>,
): Promise<BuiltComponent> {
  const componentDir = join(ROOT, 'components', spec.dir);
  const { version } = JSON.parse(readFileSync(join(componentDir, 'package.json'), 'utf8')) as { version: string };
  const stage = join(out, 'stage', spec.dir);
  rmSync(stage, { recursive: true, force: true });
  const entries: Record<string, string> = { 'main.js': join(componentDir, 'src', 'main.ts') };
  for (const [file, entry] of Object.entries(spec.extraEntries ?? {})) entries[file] = join(ROOT, entry);
  for (const [file, entry] of Object.entries(entries)) {
    await build({
      entryPoints: [entry],
      outfile: join(stage, file),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'warning',
      external: ['better-sqlite3', ...spec.externals],
      plugins: [awsCrtPlugin],
    });
  }
  copyFileSync(join(componentDir, 'config.schema.json'), join(stage, 'config.schema.json'));
  stageBetterSqlite3(ROOT, stage, natives, process.versions.modules);
  stageAwsCrt(ROOT, stage);

  const artifactDir = join(out, 'artifacts', spec.componentName, version);
  mkdirSync(artifactDir, { recursive: true });
  const zip = join(artifactDir, `${spec.dir}.zip`);
  rmSync(zip, { force: true });
  execFileSync('zip', ['-qrX', zip, '.'], { cwd: stage, stdio: ['ignore', 'ignore', 'inherit'] });

  const architectures = [...natives.keys()];
  const source = readFileSync(join(ROOT, 'recipes', `${spec.componentName}.yaml`), 'utf8');
  const recipe = join(out, 'recipes', `${spec.componentName}-${version}.yaml`);
  writeFileSync(recipe, recipeYaml(stampRecipe(source, spec.componentName, version, architectures)));
  const gdkProject = writeGdkProject(ROOT, out, spec.componentName, version, recipe, zip);
  return { componentName: spec.componentName, version, zip, recipe, architectures, gdkProject };
}

/** Builds every component into `out` (recipes/ and artifacts/ are replaced). */
export async function buildComponents(
  out = join(ROOT, 'greengrass-build'),
  nativeArgs: string[] = [],
): Promise<BuiltComponent[]> {
  if (process.versions.node.split('.')[0] !== '20')
    throw new Error(`Node ${process.versions.node}: build with Node 20, the runtime the recipes require`);
  const natives = parseNatives(nativeArgs);
  for (const d of ['recipes', 'artifacts', 'stage', 'gdk']) rmSync(join(out, d), { recursive: true, force: true });
  mkdirSync(join(out, 'recipes'), { recursive: true });
  const built: BuiltComponent[] = [];
  for (const spec of COMPONENTS) built.push(await buildOne(spec, out, natives));
  rmSync(join(out, 'stage'), { recursive: true, force: true });
  return built;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, native: { type: 'string', multiple: true }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const built = await buildComponents(values.out ? resolve(values.out) : undefined, values.native ?? []);
  for (const b of built)
    process.stdout.write(
      `${b.componentName} ${b.version} [${b.architectures.join(', ')}]\n  ${b.recipe}\n  ${b.zip}\n  gdk component publish in ${b.gdkProject}\n`,
    );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`build:components failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
