import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { PcfError } from '@pcf-edge/core';

/**
 * The one Secrets Manager call the Lambda entries make. `SecretsManagerClient` satisfies it; tests pass a fake that
 * reads `command.input.SecretId`, so no test calls AWS.
 */
export interface SecretsClient {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string | undefined }>;
}

/**
 * Reads a secret whose value is a JSON object. Errors (ERR_SECRET) name the secret and what is wrong with it, never
 * its value.
 */
export async function readSecretJson(client: SecretsClient, secretId: string): Promise<Record<string, unknown>> {
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (err) {
    throw new PcfError(
      'ERR_SECRET',
      `reading secret ${secretId} failed: ${(err as Error).message}`,
      { secretId, transient: true },
      { cause: err },
    );
  }
  if (typeof text !== 'string')
    throw new PcfError('ERR_SECRET', `secret ${secretId} has no string value`, { secretId });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new PcfError('ERR_SECRET', `secret ${secretId} is not JSON`, { secretId });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new PcfError('ERR_SECRET', `secret ${secretId} is not a JSON object`, { secretId });
  return data as Record<string, unknown>;
}
