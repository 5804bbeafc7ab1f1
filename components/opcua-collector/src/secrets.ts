import { isPcfError, PcfError } from '@pcf-edge/core';
import type { GreengrassAdapter } from '@pcf-edge/greengrass-ipc';
import type { EndpointConfig, OpcUaCollectorConfig } from './config';

/** Where Secrets Manager secrets come from on a gateway, and what to check when one cannot be read. */
const HINT: Record<string, string> = {
  UnauthorizedError: "the component's accessControl does not allow aws.greengrass#GetSecretValue on it",
  ResourceNotFoundError: 'aws.greengrass.SecretManager does not hold it (add the ARN to its cloudSecrets)',
};

/** The password an endpoint's `passwordSecret` names: the secret string, or its JSON `key`. Never logged. */
async function readPassword(
  greengrass: GreengrassAdapter,
  endpoint: EndpointConfig,
  secret: { arn: string; key?: string },
): Promise<string> {
  const fail = (why: string, details: Record<string, unknown> = {}): never => {
    throw new PcfError('ERR_SECRET', `endpoint ${endpoint.id}: password secret ${secret.arn} ${why}`, {
      endpoint: endpoint.id,
      arn: secret.arn,
      ...details,
    });
  };
  let value;
  try {
    value = await greengrass.getSecretValue(secret.arn);
  } catch (err) {
    if (!isPcfError(err, 'ERR_IPC')) throw err;
    const code = err.details.errorCode as string | undefined;
    return fail(`could not be read: ${code ?? err.message}${code && HINT[code] ? ` (${HINT[code]})` : ''}`, {
      errorCode: code,
    });
  }
  if (value.kind !== 'string') return fail('holds binary data; store the password as a secret string');
  let password: unknown = value.value;
  if (secret.key !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value.value);
    } catch {
      parsed = undefined;
    }
    password = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[secret.key] : undefined;
    if (typeof password !== 'string') return fail(`is not a JSON object with a string '${secret.key}'`);
  }
  if (password === '') return fail('is empty');
  return password as string;
}

/**
 * The collector's configuration with each endpoint's `passwordSecret` resolved into `password` through
 * aws.greengrass.SecretManager (IPC GetSecretValue), read once per start or configuration change.
 */
export async function withSecretPasswords(
  config: Readonly<OpcUaCollectorConfig>,
  greengrass: GreengrassAdapter,
): Promise<Readonly<OpcUaCollectorConfig>> {
  const endpoints: EndpointConfig[] = [];
  for (const e of config.endpoints)
    endpoints.push(e.passwordSecret ? { ...e, password: await readPassword(greengrass, e, e.passwordSecret) } : e);
  return { ...config, endpoints };
}
