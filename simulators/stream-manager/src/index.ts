export {
  createStreamManagerServer,
  SERVER_VERSION,
  type StreamManagerServer,
  type StreamManagerServerConfig,
  type StreamManagerServerDeps,
} from './server';
export { createKinesisExporter, type KinesisExportSettings } from './kinesis-export';
export { StreamRegistry } from './streams';
export { validateDefinition } from './validate';
export { kinesisClientFor } from './kinesis-client';
