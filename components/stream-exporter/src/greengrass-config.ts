import { isPcfError } from '@pcf-edge/core';
import { configSchema, parseExporterConfig, type StreamExporterConfig } from './config';

export const COMPONENT_NAME = 'com.pcfedge.StreamExporter';

/** The component configuration under Greengrass: the exporter's settings plus the recipe's `storePath`. */
export type GreengrassConfig = StreamExporterConfig & { storePath: string };

/**
 * The exporter's schema plus the recipe-level key `storePath` (restart-only: the recipe passes it to the Run
 * command as `--store`).
 */
export const greengrassSchema: object = (() => {
  const { $id: _id, ...rest } = configSchema as { $id?: string; properties: object };
  return { ...rest, properties: { ...rest.properties, storePath: { type: 'string', minLength: 1, 'x-restart': true } } };
})();

const SOURCE = `Greengrass configuration of ${COMPONENT_NAME}`;

/** The exporter's own configuration, checked exactly as a config file would be (schema and semantics). */
export function exporterConfigOf(config: Readonly<GreengrassConfig>): Readonly<StreamExporterConfig> {
  const { storePath: _storePath, ...own } = config;
  return parseExporterConfig(own, SOURCE);
}

/** Every problem of a configuration as `path: message`; none ⇒ valid. */
export function problemsOf(config: GreengrassConfig): string[] {
  try {
    exporterConfigOf(config);
    return [];
  } catch (err) {
    if (isPcfError(err, 'ERR_CONFIG_INVALID')) return err.details.errors as string[];
    throw err;
  }
}
