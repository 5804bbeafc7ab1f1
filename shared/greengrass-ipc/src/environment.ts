/**
 * The environment the Greengrass nucleus gives every component process: the IPC socket path and the
 * component's auth token (sent in the eventstream-RPC Connect message as `{"authToken": SVCUID}`).
 */
export const IPC_SOCKET_ENV = 'AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT';
export const IPC_TOKEN_ENV = 'SVCUID';

/** True when running under a Greengrass nucleus (the IPC socket path is set and non-empty). */
export function isGreengrass(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env[IPC_SOCKET_ENV] === 'string' && env[IPC_SOCKET_ENV] !== '';
}
