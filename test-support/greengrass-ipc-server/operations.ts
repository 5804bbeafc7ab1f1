import { type ConfigObject, isInterior, nodeAt } from './config-tree';

/**
 * Greengrass IPC operations the test server serves, with the nucleus's behaviour (ConfigStoreIPCEventStreamAgent,
 * LifecycleIPCEventStreamAgent, PubSubIPCEventStreamAgent): a request names the operation, the reply is a
 * modelled shape or one of the modelled error shapes.
 */
export const OP = {
  GetConfiguration: 'aws.greengrass#GetConfiguration',
  SubscribeToConfigurationUpdate: 'aws.greengrass#SubscribeToConfigurationUpdate',
  UpdateState: 'aws.greengrass#UpdateState',
  PublishToTopic: 'aws.greengrass#PublishToTopic',
  SubscribeToValidateConfigurationUpdates: 'aws.greengrass#SubscribeToValidateConfigurationUpdates',
  SendConfigurationValidityReport: 'aws.greengrass#SendConfigurationValidityReport',
  GetSecretValue: 'aws.greengrass#GetSecretValue',
} as const;

export type IpcErrorShape = 'ServiceError' | 'ResourceNotFoundError' | 'UnauthorizedError' | 'InvalidArgumentsError';

export class IpcOperationError extends Error {
  constructor(
    readonly shape: IpcErrorShape,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The JSON body of an error shape as the nucleus's Java server writes it: the modelled `message` plus the
 * EventStreamOperationError fields `_service`, `_message` and `_errorCode` (the shape's short name).
 */
export function errorBody(shape: IpcErrorShape, message: string): Record<string, string> {
  return { message, _service: 'aws.greengrass#GreengrassCoreIPC', _message: message, _errorCode: shape };
}

const KEY_NOT_FOUND = 'Key not found';

export interface ConfigRequest {
  componentName?: string;
  keyPath?: string[];
}

export function parseConfigRequest(body: unknown): ConfigRequest {
  if (!isInterior(body)) throw new IpcOperationError('ServiceError', 'request body must be a JSON object');
  const req: ConfigRequest = {};
  if (body.componentName !== undefined) {
    if (typeof body.componentName !== 'string')
      throw new IpcOperationError('ServiceError', 'componentName must be a string');
    req.componentName = body.componentName;
  }
  if (body.keyPath !== undefined) {
    if (!Array.isArray(body.keyPath) || !body.keyPath.every((k) => typeof k === 'string')) {
      throw new IpcOperationError('ServiceError', 'keyPath must be a list of strings');
    }
    req.keyPath = body.keyPath as string[];
  }
  return req;
}

/** GetConfiguration: a leaf comes back wrapped as `{ <leafName>: value }`, an interior node as itself. */
export function getConfiguration(
  configs: Map<string, ConfigObject>,
  caller: string,
  req: ConfigRequest,
): { componentName: string; value: ConfigObject } {
  const componentName = req.componentName ?? caller;
  const root = configs.get(componentName);
  if (!root) throw new IpcOperationError('ResourceNotFoundError', KEY_NOT_FOUND);
  const keyPath = req.keyPath ?? [];
  const node = nodeAt(root, keyPath);
  if (node === undefined) throw new IpcOperationError('ResourceNotFoundError', KEY_NOT_FOUND);
  const value = isInterior(node)
    ? structuredClone(node)
    : { [keyPath[keyPath.length - 1] as string]: structuredClone(node) };
  return { componentName, value };
}

/** Checks a subscription target exists, as the nucleus does before registering its watcher. */
export function subscriptionTarget(
  configs: Map<string, ConfigObject>,
  caller: string,
  req: ConfigRequest,
): { componentName: string; keyPath: string[] } {
  const componentName = req.componentName ?? caller;
  const root = configs.get(componentName);
  const keyPath = req.keyPath ?? [];
  if (!root || nodeAt(root, keyPath) === undefined) throw new IpcOperationError('ResourceNotFoundError', KEY_NOT_FOUND);
  return { componentName, keyPath };
}

const LIFECYCLE_STATES = ['RUNNING', 'ERRORED', 'NEW', 'INSTALLED', 'STARTING', 'STOPPING', 'FINISHED', 'BROKEN'];

export function parseUpdateState(body: unknown): string {
  if (!isInterior(body) || typeof body.state !== 'string' || !LIFECYCLE_STATES.includes(body.state)) {
    throw new IpcOperationError('ServiceError', `state must be one of ${LIFECYCLE_STATES.join(', ')}`);
  }
  return body.state;
}

export interface PublishedMessage {
  component: string;
  topic: string;
  /** Parsed JSON for a jsonMessage, raw bytes for a binaryMessage. */
  message: unknown;
  kind: 'json' | 'binary';
}

export function parsePublish(component: string, body: unknown): PublishedMessage {
  if (!isInterior(body) || typeof body.topic !== 'string' || body.topic === '') {
    throw new IpcOperationError('ServiceError', 'topic must be a non-empty string');
  }
  const pm = body.publishMessage;
  if (isInterior(pm) && isInterior(pm.jsonMessage)) {
    return { component, topic: body.topic, message: pm.jsonMessage.message, kind: 'json' };
  }
  if (isInterior(pm) && isInterior(pm.binaryMessage) && typeof pm.binaryMessage.message === 'string') {
    return { component, topic: body.topic, message: Buffer.from(pm.binaryMessage.message, 'base64'), kind: 'binary' };
  }
  throw new IpcOperationError('ServiceError', 'publishMessage must hold a jsonMessage or a binaryMessage');
}

export interface ValidityReport {
  status: 'ACCEPTED' | 'REJECTED';
  deploymentId: string;
  message?: string;
}

export function parseValidityReport(body: unknown): ValidityReport {
  const r = isInterior(body) ? body.configurationValidityReport : undefined;
  if (!isInterior(r) || (r.status !== 'ACCEPTED' && r.status !== 'REJECTED') || typeof r.deploymentId !== 'string') {
    throw new IpcOperationError(
      'InvalidArgumentsError',
      'configurationValidityReport needs status ACCEPTED|REJECTED and a deploymentId',
    );
  }
  return {
    status: r.status,
    deploymentId: r.deploymentId,
    ...(typeof r.message === 'string' ? { message: r.message } : {}),
  };
}

/** A secret as aws.greengrass.SecretManager holds it: a string or binary value (one of the two). */
export type SecretValue = { secretString: string } | { secretBinary: Buffer };

const SECRET_MANAGER = 'aws.greengrass.SecretManager';

/**
 * Whether the caller's `accessControl` (in its configuration, as the nucleus keeps it) has a policy for
 * aws.greengrass.SecretManager allowing GetSecretValue on `secretId` (exact resource, or `*`).
 */
function mayGetSecret(callerConfig: ConfigObject | undefined, secretId: string): boolean {
  const access = callerConfig?.accessControl;
  const policies = isInterior(access) ? access[SECRET_MANAGER] : undefined;
  if (!isInterior(policies)) return false;
  return Object.values(policies).some((p) => {
    if (!isInterior(p) || !Array.isArray(p.operations) || !Array.isArray(p.resources)) return false;
    const op = p.operations.some((o) => o === OP.GetSecretValue || o === '*');
    return op && p.resources.some((r) => r === secretId || r === '*');
  });
}

/**
 * GetSecretValue as aws.greengrass.SecretManager answers it: UnauthorizedError unless the caller's accessControl
 * allows the secret, ResourceNotFoundError for a secret it does not hold, else the value (binary as base64).
 */
export function getSecretValue(
  configs: Map<string, ConfigObject>,
  secrets: Map<string, SecretValue>,
  caller: string,
  body: unknown,
): Record<string, unknown> {
  if (!isInterior(body) || typeof body.secretId !== 'string' || body.secretId === '')
    throw new IpcOperationError('InvalidArgumentsError', 'secretId must be a non-empty string');
  const secretId = body.secretId;
  if (!mayGetSecret(configs.get(caller), secretId))
    throw new IpcOperationError(
      'UnauthorizedError',
      `Principal ${caller} is not authorized to perform ${SECRET_MANAGER}:${OP.GetSecretValue} on resource ${secretId}`,
    );
  const secret = secrets.get(secretId);
  if (!secret) throw new IpcOperationError('ResourceNotFoundError', `Secret not found ${secretId}`);
  const secretValue =
    'secretString' in secret
      ? { secretString: secret.secretString }
      : { secretBinary: secret.secretBinary.toString('base64') };
  return { secretId, versionId: 'v1', versionStage: ['AWSCURRENT'], secretValue };
}
