import { recipeConfig, STORE_PATH_KEY } from '@pcf-edge/greengrass-ipc';
import { configSchema, type OpcUaCollectorConfig, validateOpcUaConfig } from './config';
import { COMPONENT_NAME } from './site-claims';

export { COMPONENT_NAME };
export const SECRET_MANAGER = 'aws.greengrass.SecretManager';
export const GET_SECRET_VALUE = 'aws.greengrass#GetSecretValue';

/** The component's IPC policies as the nucleus keeps them in its configuration: namespace → policy id → policy. */
type AccessControl = Record<string, Record<string, { operations?: unknown; resources?: unknown }>>;

/** The component configuration under Greengrass: its settings plus the recipe's `storePath` and `accessControl`. */
export type GreengrassConfig = OpcUaCollectorConfig & { storePath: string; accessControl?: AccessControl };

const recipe = recipeConfig<OpcUaCollectorConfig>({
  componentName: COMPONENT_NAME,
  schema: configSchema,
  recipeKeys: {
    ...STORE_PATH_KEY,
    // Kept (not stripped as elsewhere) so that the secrets it allows can be checked against the ones used.
    accessControl: { type: 'object' },
  },
  validate: validateOpcUaConfig,
});

/** The component's schema plus the recipe-level keys `storePath` (restart-only) and `accessControl`. */
export const greengrassSchema: object = recipe.schema;

/** The component's own configuration, checked exactly as a config file would be (schema and semantics). */
export function collectorConfigOf(config: Readonly<GreengrassConfig>): Readonly<OpcUaCollectorConfig> {
  return recipe.own(config);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * What only Greengrass adds: a plain `password` is refused (the deployment and every component on the gateway could
 * read it), and the accessControl policies of aws.greengrass.SecretManager allow GetSecretValue on exactly the
 * secrets the endpoints name: nothing else, no wildcard.
 */
function secretProblems(config: GreengrassConfig): string[] {
  const out: string[] = [];
  const endpoints = asList((config as { endpoints?: unknown }).endpoints) as Partial<
    GreengrassConfig['endpoints'][0]
  >[];
  const wanted = new Map<string, number>();
  endpoints.forEach((e, i) => {
    if (e?.password !== undefined)
      out.push(
        `/endpoints/${i}/password: a password in the component configuration is visible in the deployment and to every component; keep it in AWS Secrets Manager and name it with passwordSecret`,
      );
    if (e?.passwordSecret?.arn !== undefined && !wanted.has(e.passwordSecret.arn)) wanted.set(e.passwordSecret.arn, i);
  });
  const allowed = new Set<string>();
  const base = `/accessControl/${SECRET_MANAGER}`;
  for (const [id, policy] of Object.entries(config.accessControl?.[SECRET_MANAGER] ?? {})) {
    for (const op of asList(policy?.operations))
      if (op !== GET_SECRET_VALUE)
        out.push(`${base}/${id}/operations: only ${GET_SECRET_VALUE} is needed, got '${String(op)}'`);
    for (const r of asList(policy?.resources)) {
      if (typeof r === 'string' && wanted.has(r)) allowed.add(r);
      else
        out.push(
          `${base}/${id}/resources: '${String(r)}' is no endpoint's passwordSecret; allow exactly the secrets read`,
        );
    }
  }
  for (const [arn, i] of wanted)
    if (!allowed.has(arn))
      out.push(`/endpoints/${i}/passwordSecret/arn: accessControl allows no ${GET_SECRET_VALUE} on ${arn} (${base})`);
  return out;
}

/** Every problem of a configuration as `path: message`; none ⇒ valid. */
export function problemsOf(config: GreengrassConfig): string[] {
  return [...recipe.problems(config), ...secretProblems(config)];
}
