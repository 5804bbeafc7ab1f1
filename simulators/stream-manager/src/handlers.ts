import {
  int64,
  optNumber,
  Op,
  Status,
  StreamManagerError,
  type Payload,
  type ReadMessagesOptions,
} from '@pcf-edge/stream-manager-client';
import type { KinesisExporter } from './kinesis-export';
import type { StreamRegistry } from './streams';
import { validateDefinition } from './validate';

/** Request handlers by op code: each returns the reply body (status 0) or throws a StreamManagerError. */
export interface HandlerDeps {
  registry: StreamRegistry;
  exporter: KinesisExporter | undefined;
}

export type Handler = (body: Payload, signal: AbortSignal) => Payload | Promise<Payload>;

function readOptions(raw: unknown): ReadMessagesOptions {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new StreamManagerError(Status.InvalidRequest, 'readMessagesOptions must be a map');
  const o = raw as Record<string, unknown>;
  const opts: ReadMessagesOptions = {
    desiredStartSequenceNumber:
      o.desiredStartSequenceNumber === undefined
        ? undefined
        : int64(o.desiredStartSequenceNumber, 'desiredStartSequenceNumber'),
    minMessageCount: optNumber(o.minMessageCount),
    maxMessageCount: optNumber(o.maxMessageCount),
    readTimeoutMillis: optNumber(o.readTimeoutMillis),
  };
  const problems: string[] = [];
  if (opts.desiredStartSequenceNumber !== undefined && opts.desiredStartSequenceNumber < 0n)
    problems.push('desiredStartSequenceNumber must be ≥ 0');
  if (opts.minMessageCount !== undefined && !(opts.minMessageCount >= 1)) problems.push('minMessageCount must be ≥ 1');
  if (opts.maxMessageCount !== undefined && !(opts.maxMessageCount >= (opts.minMessageCount ?? 1)))
    problems.push('maxMessageCount must be ≥ minMessageCount');
  if (opts.readTimeoutMillis !== undefined && !(opts.readTimeoutMillis >= 0))
    problems.push('readTimeoutMillis must be ≥ 0');
  if (problems.length > 0) throw new StreamManagerError(Status.InvalidRequest, problems.join('; '));
  return opts;
}

export function createHandlers(deps: HandlerDeps): Map<number, Handler> {
  const { registry } = deps;
  return new Map<number, Handler>([
    [
      Op.CreateMessageStream,
      (b) => {
        registry.create(validateDefinition(b.definition));
        deps.exporter?.wake();
        return {};
      },
    ],
    [
      Op.UpdateMessageStream,
      (b) => {
        registry.update(validateDefinition(b.definition));
        deps.exporter?.wake();
        return {};
      },
    ],
    [
      Op.DeleteMessageStream,
      (b) => {
        registry.delete(b.name);
        return {};
      },
    ],
    [
      Op.AppendMessage,
      (b) => {
        const payload = b.payload;
        if (!Buffer.isBuffer(payload) || payload.length < 1) {
          throw new StreamManagerError(Status.InvalidRequest, 'payload must be a byte string of at least 1 byte');
        }
        return { sequenceNumber: registry.append(b.name, payload) };
      },
    ],
    [
      Op.ReadMessages,
      async (b, signal) => {
        const rows = await registry.read(b.streamName, readOptions(b.readMessagesOptions), signal);
        const streamName = b.streamName as string;
        return {
          messages: rows.map((r) => ({
            streamName,
            sequenceNumber: r.seq,
            ingestTime: r.ingestTime,
            payload: r.payload,
          })),
        };
      },
    ],
    [Op.ListStreams, () => ({ streams: registry.list() })],
    [
      Op.DescribeMessageStream,
      (b) => {
        const s = registry.get(b.name);
        return {
          messageStreamInfo: {
            definition: s.def,
            storageStatus: { oldestSequenceNumber: s.oldest, newestSequenceNumber: s.next - 1n, totalBytes: s.bytes },
            exportStatuses:
              deps.exporter?.statuses(s.def.name) ??
              (s.def.exportDefinition?.kinesis ?? []).map((k) => ({
                exportConfigIdentifier: k.identifier,
                lastExportedSequenceNumber: (k.startSequenceNumber ?? 0n) - 1n,
                errorMessage: 'export not running: the local Stream Manager was started without --kinesis-endpoint',
              })),
          },
        };
      },
    ],
  ]);
}
