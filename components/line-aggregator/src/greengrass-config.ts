import { isPcfError } from '@pcf-edge/core';
import { type AggregatorConfig, configSchema, validateAggregatorConfig } from './config';

export const COMPONENT_NAME = 'com.pcfedge.LineAggregator';

/**
 * The component configuration under Greengrass: the aggregator's settings plus the recipe's `storePath` and
 * `lineRollupTopic` (local pub/sub topic for per-line rollups; empty = off).
 */
export type GreengrassConfig = AggregatorConfig & { storePath: string; lineRollupTopic: string };

/** The aggregator's schema plus the recipe-level keys (both restart-only). */
export const greengrassSchema: object = (() => {
  const { $id: _id, ...rest } = configSchema as { $id?: string; properties: object };
  return {
    ...rest,
    properties: {
      ...rest.properties,
      storePath: { type: 'string', minLength: 1, 'x-restart': true },
      lineRollupTopic: {
        description: 'Local pub/sub topic for per-line rollups; empty = off. The recipe accessControl must allow it.',
        type: 'string', maxLength: 256, pattern: '^[^#+*]*$', default: '', 'x-restart': true,
      },
    },
  };
})();

const SOURCE = `Greengrass configuration of ${COMPONENT_NAME}`;

/** The aggregator's own configuration, checked exactly as a config file would be (schema and semantics). */
export function aggregatorConfigOf(config: Readonly<GreengrassConfig>): Readonly<AggregatorConfig> {
  const { storePath: _storePath, lineRollupTopic: _topic, ...own } = config;
  return validateAggregatorConfig(own, SOURCE);
}

/** Every problem of a configuration as `path: message`; none ⇒ valid. */
export function problemsOf(config: GreengrassConfig): string[] {
  try {
    aggregatorConfigOf(config);
    return [];
  } catch (err) {
    if (isPcfError(err, 'ERR_CONFIG_INVALID')) return err.details.errors as string[];
    throw err;
  }
}
