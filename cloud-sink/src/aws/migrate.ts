import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger, type Logger } from '@pcf-edge/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { MIGRATIONS } from '../store/migrations';
import { migratePostgres } from '../store/postgres';
import { connectionString, databaseSettingsFromEnv, parseDatabaseSecret } from './database';
import { readSecretJson } from './secrets';
import type { SecretsClient } from './secrets';

export interface MigrateDeps {
  secrets: SecretsClient;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

/** What the custom resource provider framework expects back from its onEvent handler. */
export interface MigrateResult {
  PhysicalResourceId: string;
  Data: { SchemaVersion: string };
}

const PHYSICAL_ID = 'pcf-edge-cloud-sink-schema';

/**
 * onEvent handler of the schema custom resource (custom resource provider framework): the deployed form of
 * `cloud-sink migrate`. Create and Update apply every pending migration with `migratePostgres` (one transaction under
 * an advisory lock, each recorded in `schema_migrations`, so a second run applies nothing). The other entries only
 * open a schema that is current (ADR 0181): a deployment migrates before any of them runs new code. Delete keeps the
 * database and its data: removing the stack must not drop the audit trail. A failure throws, and CloudFormation
 * rolls the deployment back.
 */
export function createMigrateHandler(
  deps: MigrateDeps,
): (event: CloudFormationCustomResourceEvent) => Promise<MigrateResult> {
  const settings = databaseSettingsFromEnv(deps.env);
  const schemaVersion = String(Math.max(...MIGRATIONS.map((m) => m.version)));
  return async (event) => {
    if (event.RequestType === 'Delete') {
      deps.log.info({ requestType: event.RequestType }, 'schema kept (delete does not drop data)');
      return { PhysicalResourceId: event.PhysicalResourceId, Data: { SchemaVersion: schemaVersion } };
    }
    const secret = parseDatabaseSecret(await readSecretJson(deps.secrets, settings.secretArn), settings.secretArn);
    const applied = await migratePostgres({
      connectionString: connectionString(secret, settings),
      poolSize: 1,
      ...(settings.schema ? { schema: settings.schema } : {}),
    });
    deps.log.info(
      { requestType: event.RequestType, schemaVersion, applied: applied.map((m) => m.version) },
      'schema migrations applied',
    );
    return { PhysicalResourceId: PHYSICAL_ID, Data: { SchemaVersion: schemaVersion } };
  };
}

let deployed: ((event: CloudFormationCustomResourceEvent) => Promise<MigrateResult>) | undefined;

/** Lambda entry point (`index.handler` in the bundle). */
export function handler(event: CloudFormationCustomResourceEvent): Promise<MigrateResult> {
  deployed ??= createMigrateHandler({
    secrets: new SecretsManagerClient({}),
    env: process.env,
    log: createLogger({ component: 'cloud-sink-migrate' }),
  });
  return deployed(event);
}
