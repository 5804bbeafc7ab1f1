import { isPcfError } from '@pcf-edge/core';

/**
 * A component's configuration under Greengrass is its own configuration plus recipe-level keys (e.g. `storePath`,
 * which the recipe passes to the Run command). This builds, from the component's own schema and validator:
 * the combined schema (without `$id`, so ajv can hold it beside the component's own), the component's own
 * configuration with the recipe keys stripped and checked exactly as a config file would be, and the list of
 * problems as `path: message` (none ⇒ valid).
 */
export interface RecipeConfig<Own> {
  schema: object;
  own(config: object): Readonly<Own>;
  problems(config: object): string[];
}

export function recipeConfig<Own>(o: {
  componentName: string;
  schema: object;
  /** Recipe-level keys and their JSON Schemas (mark them `x-restart: true` when the Run command uses them). */
  recipeKeys: Record<string, object>;
  validate: (own: unknown, source: string) => Readonly<Own>;
}): RecipeConfig<Own> {
  const { $id: _id, ...rest } = o.schema as { $id?: string; properties?: object };
  const schema = { ...rest, properties: { ...rest.properties, ...o.recipeKeys } };
  const source = `Greengrass configuration of ${o.componentName}`;
  const own = (config: object): Readonly<Own> =>
    o.validate(Object.fromEntries(Object.entries(config).filter(([k]) => !(k in o.recipeKeys))), source);
  const problems = (config: object): string[] => {
    try {
      own(config);
      return [];
    } catch (err) {
      if (isPcfError(err, 'ERR_CONFIG_INVALID')) return err.details.errors as string[];
      throw err;
    }
  };
  return { schema, own, problems };
}

/**
 * The recipe key every pcf-edge component has: the shared gateway store file (restart-only). It must be a file
 * directly in `<Greengrass root>/work/pcf-edge/`: the folder the recipes' privileged Install step creates (ADR 0201),
 * which also checks that the prefix is this gateway's Greengrass root. The name cannot leave the folder (no `/`,
 * no leading `.`) nor carry a character a shell or a path would read specially.
 */
export const STORE_PATH_KEY = {
  storePath: {
    type: 'string',
    pattern: '^/(?:[A-Za-z0-9_][A-Za-z0-9._-]*/)*work/pcf-edge/[A-Za-z0-9_][A-Za-z0-9._-]*\\.sqlite$',
    'x-rule':
      "storePath must be <Greengrass root>/work/pcf-edge/<name>.sqlite (folder names and <name> of letters, digits, '.', '_' and '-', not starting with '.' or '-')",
    'x-restart': true,
  },
} as const;
