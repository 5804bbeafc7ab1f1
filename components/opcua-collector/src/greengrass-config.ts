import { isPcfError } from '@pcf-edge/core';
import { configSchema, type OpcUaCollectorConfig, validateOpcUaConfig } from './config';

export const COMPONENT_NAME = 'com.pcfedge.OpcUaCollector';

/** The component configuration under Greengrass: the collector's settings plus the recipe's `storePath`. */
export type GreengrassConfig = OpcUaCollectorConfig & { storePath: string };

/**
 * The collector's schema plus the recipe-level key `storePath` (restart-only: the recipe passes it to the Run
 * command as `--store`). Without `$id`, so ajv can hold it beside the collector's own schema.
 */
export const greengrassSchema: object = (() => {
  const { $id: _id, ...rest } = configSchema as { $id?: string; properties: object };
  return { ...rest, properties: { ...rest.properties, storePath: { type: 'string', minLength: 1, 'x-restart': true } } };
})();

const SOURCE = `Greengrass configuration of ${COMPONENT_NAME}`;

/** The collector's own configuration, checked exactly as a config file would be (schema and semantics). */
export function collectorConfigOf(config: Readonly<GreengrassConfig>): Readonly<OpcUaCollectorConfig> {
  const { storePath: _storePath, ...own } = config;
  return validateOpcUaConfig(own, SOURCE);
}

/** Every problem of a configuration as `path: message`; none ⇒ valid. */
export function problemsOf(config: GreengrassConfig): string[] {
  try {
    collectorConfigOf(config);
    return [];
  } catch (err) {
    if (isPcfError(err, 'ERR_CONFIG_INVALID')) return err.details.errors as string[];
    throw err;
  }
}
