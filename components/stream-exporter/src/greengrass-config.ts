import { recipeConfig, STORE_PATH_KEY } from '@pcf-edge/greengrass-ipc';
import { configSchema, parseExporterConfig, type StreamExporterConfig } from './config';
import { COMPONENT_NAME } from './site-claims';

export { COMPONENT_NAME };

/** The component configuration under Greengrass: the component's settings plus the recipe's `storePath`. */
export type GreengrassConfig = StreamExporterConfig & { storePath: string };

const recipe = recipeConfig<StreamExporterConfig>({
  componentName: COMPONENT_NAME,
  schema: configSchema,
  recipeKeys: STORE_PATH_KEY,
  validate: parseExporterConfig,
});

/** The component's schema plus the recipe-level key `storePath` (restart-only: the Run command's `--store`). */
export const greengrassSchema: object = recipe.schema;

/** The component's own configuration, checked exactly as a config file would be (schema and semantics). */
export function exporterConfigOf(config: Readonly<GreengrassConfig>): Readonly<StreamExporterConfig> {
  return recipe.own(config);
}

/** Every problem of a configuration as `path: message`; none ⇒ valid. */
export function problemsOf(config: GreengrassConfig): string[] {
  return recipe.problems(config);
}
