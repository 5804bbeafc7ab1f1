export { createStreamExporter, signedBudget, type StreamExporter, type StreamExporterDeps } from './exporter';
export { parseExporterConfig, loadExporterConfig, configSchema, type StreamExporterConfig } from './config';
export {
  createStreamManagerSink,
  createKinesisSink,
  kinesisClientFor,
  streamDefinition,
  type RecordSink,
} from './sinks';
export { buildMessages, MAX_MESSAGE_BYTES, type PlannedMessage } from './messages';
export { EXPORTER_MMAP_BYTES, pendingReader, type PendingRow } from './bodies';
export { RowPicker, type PendingSource } from './pick';
export { STATE_OWNER, STATE_KEY, type ExporterStatus } from './status';
