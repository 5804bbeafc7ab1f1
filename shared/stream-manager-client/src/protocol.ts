/**
 * Stream Manager wire vocabulary (see docs/method/stream-manager-protocol.md): operation codes, status codes and
 * the request/response shapes. Sequence numbers are int64 on the wire and `bigint` here.
 */
export const CONNECT_VERSION = 1;
export const PROTOCOL_VERSION = '1.1.0';
export const OTHER_PROTOCOL_VERSIONS = ['1.0.0'];
export const SDK_VERSION = '1.1.0';
/** Upper bound of the frame length field `L` (1 + payload bytes). */
export const MAX_FRAME_LENGTH = 2 ** 30;

export const Op = {
  Connect: 1,
  CreateMessageStream: 2,
  DeleteMessageStream: 3,
  AppendMessage: 4,
  ReadMessages: 5,
  ConnectResponse: 6,
  CreateMessageStreamResponse: 7,
  DeleteMessageStreamResponse: 8,
  AppendMessageResponse: 9,
  ReadMessagesResponse: 10,
  ListStreams: 11,
  ListStreamsResponse: 12,
  DescribeMessageStream: 13,
  DescribeMessageStreamResponse: 14,
  UpdateMessageStream: 15,
  UpdateMessageStreamResponse: 16,
  UnknownOperationError: 17,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

/** Request op → the reply op a successful exchange carries. */
export const REPLY_OP: Readonly<Record<number, number>> = {
  [Op.Connect]: Op.ConnectResponse,
  [Op.CreateMessageStream]: Op.CreateMessageStreamResponse,
  [Op.DeleteMessageStream]: Op.DeleteMessageStreamResponse,
  [Op.AppendMessage]: Op.AppendMessageResponse,
  [Op.ReadMessages]: Op.ReadMessagesResponse,
  [Op.ListStreams]: Op.ListStreamsResponse,
  [Op.DescribeMessageStream]: Op.DescribeMessageStreamResponse,
  [Op.UpdateMessageStream]: Op.UpdateMessageStreamResponse,
};

export const STATUS_NAMES = [
  'Success',
  'UnknownFailure',
  'Unauthorized',
  'InvalidRequest',
  'RequestPayloadTooLarge',
  'ResourceNotFound',
  'ServerTimeout',
  'ResponsePayloadTooLarge',
  'UnsupportedConnectVersion',
  'UnexpectedOperation',
  'UnsupportedProtocolVersion',
  'InvalidProtocolVersion',
  'FailedToConnect',
  'NotEnoughMessages',
  'MessageStoreReadError',
  'OutOfMemoryError',
  'UpdateFailed',
  'UpdateNotAllowed',
  'UnknownOperation',
] as const;
export type StatusName = (typeof STATUS_NAMES)[number];
/** `Status.ResourceNotFound === 5`, etc. */
export const Status = Object.fromEntries(STATUS_NAMES.map((n, i) => [n, i])) as { readonly [K in StatusName]: number };

export function statusName(status: number): StatusName | `Status${number}` {
  return STATUS_NAMES[status] ?? `Status${status}`;
}

export const StrategyOnFull = { RejectNewData: 0, OverwriteOldestData: 1 } as const;
export type StrategyOnFull = (typeof StrategyOnFull)[keyof typeof StrategyOnFull];
export const Persistence = { File: 0, Memory: 1 } as const;
export type Persistence = (typeof Persistence)[keyof typeof Persistence];

export interface KinesisConfig {
  identifier: string;
  kinesisStreamName: string;
  /** 1–500, default 500. */
  batchSize?: number;
  /** ≥ 60000; unset ⇒ upload as soon as possible. */
  batchIntervalMillis?: number;
  /** 1–10, lower first. */
  priority?: number;
  startSequenceNumber?: bigint;
  disabled?: boolean;
}

/** Export kinds other than Kinesis are carried through unchanged (this project only exports to Kinesis). */
export interface ExportDefinition {
  kinesis?: KinesisConfig[];
  http?: unknown[];
  iotAnalytics?: unknown[];
  IotSitewise?: unknown[];
  s3TaskExecutor?: unknown[];
}

export interface MessageStreamDefinition {
  name: string;
  /** Bytes, 1024 … 2^63; default 268435456. */
  maxSize?: bigint;
  /** Bytes, 1024 … 2^31-1; default 16777216. */
  streamSegmentSize?: number;
  /** ≥ 60000. */
  timeToLiveMillis?: bigint;
  strategyOnFull: StrategyOnFull;
  persistence?: Persistence;
  flushOnWrite?: boolean;
  exportDefinition?: ExportDefinition;
}

export interface ReadMessagesOptions {
  desiredStartSequenceNumber?: bigint;
  /** Default 1. */
  minMessageCount?: number;
  maxMessageCount?: number;
  /** Default 0: answer at once. */
  readTimeoutMillis?: number;
}

export interface Message {
  streamName: string;
  sequenceNumber: bigint;
  /** Epoch milliseconds. */
  ingestTime: number;
  payload: Buffer;
}

export interface StorageStatus {
  oldestSequenceNumber: bigint;
  newestSequenceNumber: bigint;
  totalBytes: bigint;
}

export interface ExportStatus {
  exportConfigIdentifier: string;
  lastExportedSequenceNumber: bigint;
  lastExportTime?: number;
  errorMessage?: string;
  exportedBytesFromStream?: bigint;
  exportedMessagesCount?: bigint;
}

export interface MessageStreamInfo {
  definition: MessageStreamDefinition;
  storageStatus: StorageStatus;
  exportStatuses: ExportStatus[];
}
