import { PcfError } from '@pcf-edge/core';
import { int64, optNumber } from './codec';
import type {
  ExportDefinition,
  ExportStatus,
  KinesisConfig,
  Message,
  MessageStreamDefinition,
  MessageStreamInfo,
  Persistence,
  StrategyOnFull,
} from './protocol';

/** Decoding of reply structures: int64 fields become bigint whichever CBOR width carried them. */
type Obj = Record<string, unknown>;

function obj(value: unknown, what: string): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PcfError('ERR_SM_PROTOCOL', `${what} is not a map`);
  }
  return value as Obj;
}

function optInt64(value: unknown, field: string): bigint | undefined {
  return value === undefined || value === null ? undefined : int64(value, field);
}

function optString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function kinesisFromWire(value: unknown): KinesisConfig {
  const k = obj(value, 'kinesis export');
  return {
    identifier: String(k.identifier),
    kinesisStreamName: String(k.kinesisStreamName),
    batchSize: optNumber(k.batchSize),
    batchIntervalMillis: optNumber(k.batchIntervalMillis),
    priority: optNumber(k.priority),
    startSequenceNumber: optInt64(k.startSequenceNumber, 'startSequenceNumber'),
    disabled: typeof k.disabled === 'boolean' ? k.disabled : undefined,
  };
}

export function definitionFromWire(value: unknown): MessageStreamDefinition {
  const d = obj(value, 'definition');
  const ed = d.exportDefinition === undefined ? undefined : obj(d.exportDefinition, 'exportDefinition');
  let exportDefinition: ExportDefinition | undefined;
  if (ed) {
    exportDefinition = { ...(ed as ExportDefinition) };
    if (Array.isArray(ed.kinesis)) exportDefinition.kinesis = ed.kinesis.map(kinesisFromWire);
  }
  return {
    name: String(d.name),
    maxSize: optInt64(d.maxSize, 'maxSize'),
    streamSegmentSize: optNumber(d.streamSegmentSize),
    timeToLiveMillis: optInt64(d.timeToLiveMillis, 'timeToLiveMillis'),
    strategyOnFull: optNumber(d.strategyOnFull) as StrategyOnFull,
    persistence: optNumber(d.persistence) as Persistence | undefined,
    flushOnWrite: typeof d.flushOnWrite === 'boolean' ? d.flushOnWrite : undefined,
    exportDefinition,
  };
}

function exportStatusFromWire(value: unknown): ExportStatus {
  const e = obj(value, 'export status');
  return {
    exportConfigIdentifier: String(e.exportConfigIdentifier),
    lastExportedSequenceNumber: int64(e.lastExportedSequenceNumber ?? -1, 'lastExportedSequenceNumber'),
    lastExportTime: optNumber(e.lastExportTime),
    errorMessage: optString(e.errorMessage),
    exportedBytesFromStream: optInt64(e.exportedBytesFromStream, 'exportedBytesFromStream'),
    exportedMessagesCount: optInt64(e.exportedMessagesCount, 'exportedMessagesCount'),
  };
}

export function infoFromWire(value: unknown): MessageStreamInfo {
  const i = obj(value, 'messageStreamInfo');
  const s = obj(i.storageStatus ?? {}, 'storageStatus');
  return {
    definition: definitionFromWire(i.definition),
    storageStatus: {
      oldestSequenceNumber: int64(s.oldestSequenceNumber ?? 0, 'oldestSequenceNumber'),
      newestSequenceNumber: int64(s.newestSequenceNumber ?? -1, 'newestSequenceNumber'),
      totalBytes: int64(s.totalBytes ?? 0, 'totalBytes'),
    },
    exportStatuses: Array.isArray(i.exportStatuses) ? i.exportStatuses.map(exportStatusFromWire) : [],
  };
}

export function messageFromWire(value: unknown): Message {
  const m = obj(value, 'message');
  const payload = m.payload;
  if (!(payload instanceof Uint8Array)) throw new PcfError('ERR_SM_PROTOCOL', 'message payload is not a byte string');
  return {
    streamName: String(m.streamName),
    sequenceNumber: int64(m.sequenceNumber, 'sequenceNumber'),
    ingestTime: optNumber(m.ingestTime) ?? 0,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  };
}
