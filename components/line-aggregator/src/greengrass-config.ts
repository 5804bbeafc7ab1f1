import { recipeConfig, STORE_PATH_KEY } from '@pcf-edge/greengrass-ipc';
import { type AggregatorConfig, configSchema, validateAggregatorConfig } from './config';
import { COMPONENT_NAME } from './site-claims';

export { COMPONENT_NAME };

/**
 * The component configuration under Greengrass: the aggregator's settings plus the recipe's `storePath`,
 * `lineRollupTopic` (local pub/sub topic for per-line rollups; empty = off) and `healthPublishIntervalMs` (how
 * often the gateway's health goes to the local topic pcf-edge/health; 0 = off).
 */
export type GreengrassConfig = AggregatorConfig & {
  storePath: string;
  lineRollupTopic: string;
  healthPublishIntervalMs: number;
};

const recipe = recipeConfig<AggregatorConfig>({
  componentName: COMPONENT_NAME,
  schema: configSchema,
  recipeKeys: {
    ...STORE_PATH_KEY,
    lineRollupTopic: {
      description: 'Local pub/sub topic for per-line rollups; empty = off. The recipe accessControl must allow it.',
      type: 'string',
      maxLength: 256,
      pattern: '^[^#+*]*$',
      default: '',
      'x-restart': true,
    },
    healthPublishIntervalMs: {
      description:
        'Every this many ms, publish the gateway health (as pcf-edge status judges it) to the local topic pcf-edge/health; 0 = off. Applies live.',
      type: 'integer',
      minimum: 0,
      default: 60000,
    },
  },
  validate: validateAggregatorConfig,
});

/** The aggregator's schema plus the recipe-level keys (storePath and lineRollupTopic restart-only). */
export const greengrassSchema: object = recipe.schema;

/** The aggregator's own configuration, checked exactly as a config file would be (schema and semantics). */
export function aggregatorConfigOf(config: Readonly<GreengrassConfig>): Readonly<AggregatorConfig> {
  return recipe.own(config);
}

/** Every problem of a configuration as `path: message`; none ⇒ valid. */
export function problemsOf(config: GreengrassConfig): string[] {
  return recipe.problems(config);
}
