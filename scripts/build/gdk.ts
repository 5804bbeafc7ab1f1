import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface GdkConfig {
  component: Record<string, { author: string; version: string; build: unknown; publish: unknown }>;
  gdk_version: string;
}

/**
 * The GDK takes one component per gdk-config.json (ADR 0090). For `gdk component publish` each component gets a
 * project folder `<out>/gdk/<ComponentName>/` holding its own gdk-config.json (the root file's author, bucket
 * and region; this component's name and version; a no-op build), its recipe.yaml, and the GDK build layout
 * `greengrass-build/{recipes,artifacts/<name>/<version>}` with the recipe and zips already built.
 */
export function writeGdkProject(
  repoRoot: string,
  out: string,
  componentName: string,
  version: string,
  recipe: string,
  zips: readonly string[],
): string {
  const root = JSON.parse(readFileSync(join(repoRoot, 'gdk-config.json'), 'utf8')) as GdkConfig;
  const [suite] = Object.values(root.component);
  if (!suite) throw new Error('gdk-config.json names no component');
  const dir = join(out, 'gdk', componentName);
  const artifacts = join(dir, 'greengrass-build', 'artifacts', componentName, version);
  mkdirSync(artifacts, { recursive: true });
  mkdirSync(join(dir, 'greengrass-build', 'recipes'), { recursive: true });
  const config: GdkConfig = {
    component: {
      [componentName]: {
        author: suite.author,
        version,
        build: { build_system: 'custom', custom_build_command: ['true'] },
        publish: suite.publish,
      },
    },
    gdk_version: root.gdk_version,
  };
  writeFileSync(join(dir, 'gdk-config.json'), `${JSON.stringify(config, null, 2)}\n`);
  copyFileSync(recipe, join(dir, 'recipe.yaml'));
  copyFileSync(recipe, join(dir, 'greengrass-build', 'recipes', basename(recipe)));
  for (const zip of zips) copyFileSync(zip, join(artifacts, basename(zip)));
  return dir;
}
