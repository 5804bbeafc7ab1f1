export * from './protocol';
export * from './codec';
export * from './errors';
export * from './wire';
export { Connection } from './connection';
export {
  createStreamManagerClient,
  resolvePort,
  DEFAULT_PORT,
  DEFAULT_MAX_MESSAGE_BYTES,
  type StreamManagerClient,
  type StreamManagerClientOptions,
} from './client';
