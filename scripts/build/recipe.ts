import { Document, parse, Scalar } from 'yaml';
import { ARCHITECTURES, type RecipeArch } from './components';

interface Manifest {
  Platform?: { os?: string; architecture?: string };
  Artifacts?: { Uri: string; Unarchive?: string }[];
}

/**
 * A source recipe (recipes/*.yaml, GDK placeholders) stamped for one version: `{COMPONENT_VERSION}` and the
 * artifact URIs' `COMPONENT_NAME`/`COMPONENT_VERSION` are replaced; `BUCKET_NAME` stays for `gdk component
 * publish`. Manifests for architectures without a native better-sqlite3 binary in the zip are left out.
 */
export function stampRecipe(
  source: string,
  componentName: string,
  version: string,
  archs: readonly RecipeArch[],
): Record<string, unknown> {
  const recipe = parse(source) as Record<string, unknown> & {
    ComponentName: string;
    ComponentVersion: string;
    Manifests: Manifest[];
  };
  if (recipe.ComponentName !== componentName)
    throw new Error(`recipe names ${recipe.ComponentName}, expected ${componentName}`);
  recipe.ComponentVersion = version;
  recipe.Manifests = recipe.Manifests.filter((m) => {
    const arch = m.Platform?.architecture;
    return arch === undefined || (arch in ARCHITECTURES && archs.includes(arch as RecipeArch));
  });
  for (const m of recipe.Manifests) {
    for (const a of m.Artifacts ?? [])
      a.Uri = a.Uri.replace('COMPONENT_NAME', componentName).replace('COMPONENT_VERSION', version);
  }
  return recipe;
}

/** YAML text of a recipe; the version fields are quoted so that YAML 1.1 readers (the nucleus) keep strings. */
export function recipeYaml(recipe: Record<string, unknown>): string {
  const doc = new Document(recipe);
  for (const key of ['RecipeFormatVersion', 'ComponentVersion']) {
    const node = doc.get(key, true);
    if (node instanceof Scalar) node.type = Scalar.QUOTE_SINGLE;
  }
  return `---\n${doc.toString({ lineWidth: 0 })}`;
}
