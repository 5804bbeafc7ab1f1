import { recipeConfig, STORE_PATH_KEY } from '@pcf-edge/greengrass-ipc';
import { configSchema, type OpcUaCollectorConfig, validateOpcUaConfig } from './config';

export const COMPONENT_NAME = 'com.pcfedge.OpcUaCollector';

/** The component configuration under Greengrass: the component's settings plus the recipe's `storePath`. */
export type GreengrassConfig = OpcUaCollectorConfig & { storePath: string };

const recipe = recipeConfig<OpcUaCollectorConfig>({
  componentName: COMPONENT_NAME,
  schema: configSchema,
  recipeKeys: STORE_PATH_KEY,
  validate: validateOpcUaConfig,
});

/** The component's schema plus the recipe-level key `storePath` (restart-only: the Run command's `--store`). */
export const greengrassSchema: object = recipe.schema;

/** The component's own configuration, checked exactly as a config file would be (schema and semantics). */
export function collectorConfigOf(config: Readonly<GreengrassConfig>): Readonly<OpcUaCollectorConfig> {
  return recipe.own(config);
}

/** Every problem of a configuration as `path: message`; none ⇒ valid. */
export function problemsOf(config: GreengrassConfig): string[] {
  return recipe.problems(config);
}
