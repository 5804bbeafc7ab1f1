export { isGreengrass, IPC_SOCKET_ENV, IPC_TOKEN_ENV } from './environment';
export {
  createGreengrassAdapter,
  DEFAULT_STREAM_MANAGER_PORT,
  STREAM_MANAGER_COMPONENT,
  type GreengrassAdapter,
  type GreengrassAdapterOptions,
  type ReportedState,
  type SecretValue,
} from './adapter';
export { ipcErrorCode } from './ipc-errors';
export { RESTART_EXIT_CODE, runWithConfig, type ConfigRunner, type RunWithConfigOptions } from './run-with-config';
export { recipeConfig, STORE_PATH_KEY, type RecipeConfig } from './recipe-config';
export { runGreengrassApp, type GreengrassAppOptions } from './run-app';
