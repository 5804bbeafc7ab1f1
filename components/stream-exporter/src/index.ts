export { createStreamExporter, type StreamExporter, type StreamExporterDeps } from './exporter';
export { parseExporterConfig, loadExporterConfig, configSchema, type StreamExporterConfig } from './config';
export { createStreamManagerSink, createKinesisSink, kinesisClientFor, streamDefinition, type RecordSink } from './sinks';
export { buildMessages, MAX_MESSAGE_BYTES, type PlannedMessage } from './messages';
export { pendingReader, markSentBatch, type PendingRow } from './bodies';
export { RowPicker, type PendingSource } from './pick';
export { STATE_OWNER, STATE_KEY, type ExporterStatus } from './status';
