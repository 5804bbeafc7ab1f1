import {
  CONNECT_VERSION,
  encodeFrame,
  encodePayload,
  Op,
  PROTOCOL_VERSION,
  type Payload,
} from '@pcf-edge/stream-manager-client';

/** Seed byte streams in the Stream Manager wire format, shared by the server and client targets. */
export const frame = (op: number, body: Payload): Buffer => encodeFrame(op, encodePayload(body));

export const CONNECT = frame(Op.Connect, {
  requestId: 'c0',
  protocolVersion: PROTOCOL_VERSION,
  otherSupportedProtocolVersions: ['1.0.0'],
  sdkVersion: '1.1.0',
});

const definition = (name: string, extra: Payload = {}) => ({
  name,
  maxSize: 268435456,
  streamSegmentSize: 16777216,
  timeToLiveMillis: 3_600_000,
  strategyOnFull: 0,
  persistence: 1,
  flushOnWrite: false,
  exportDefinition: {
    kinesis: [{ identifier: 'k1', kinesisStreamName: 'rollups', batchSize: 10, priority: 1, startSequenceNumber: 0 }],
  },
  ...extra,
});

/** Client-to-server byte streams: version byte, Connect, then requests of every op. */
export function serverSeeds(): Buffer[] {
  const hello = Buffer.concat([Buffer.from([CONNECT_VERSION]), CONNECT]);
  const s = (...frames: Buffer[]) => Buffer.concat([hello, ...frames]);
  return [
    hello,
    s(frame(Op.CreateMessageStream, { requestId: 'r1', definition: definition('fuzz-s1') })),
    s(
      frame(Op.CreateMessageStream, { requestId: 'r1', definition: definition('fuzz-s2') }),
      frame(Op.AppendMessage, { requestId: 'r2', name: 'fuzz-s2', payload: Buffer.from('hello') }),
      frame(Op.ReadMessages, {
        requestId: 'r3',
        streamName: 'fuzz-s2',
        readMessagesOptions: {
          desiredStartSequenceNumber: 0,
          minMessageCount: 1,
          maxMessageCount: 10,
          readTimeoutMillis: 0,
        },
      }),
    ),
    s(
      frame(Op.ListStreams, { requestId: 'r4' }),
      frame(Op.DescribeMessageStream, { requestId: 'r5', name: 'fuzz-s1' }),
    ),
    s(
      frame(Op.UpdateMessageStream, { requestId: 'r6', definition: definition('fuzz-s1', { persistence: 0 }) }),
      frame(Op.DeleteMessageStream, { requestId: 'r7', name: 'nope' }),
    ),
    s(
      frame(99, { requestId: 'r8' }),
      frame(Op.AppendMessage, { requestId: 'r9', name: 'fuzz-s1', payload: Buffer.alloc(300, 7) }),
    ),
    Buffer.concat([Buffer.from([2]), CONNECT]),
    frame(Op.ListStreams, { requestId: 'early' }),
  ];
}

/** Placeholder request ids the fake server replaces with the client's real ids (same length: 36 characters). */
export const CONNECT_ID = '00000000-0000-4000-8000-00000000c0c0';
export const REQUEST_ID = '00000000-0000-4000-8000-0000000a0a0a';

/**
 * Server-to-client seeds. Byte 0 picks the request the client sends (see sm-client target); byte 1 bit 0 set means the
 * bytes replace the whole server side (version byte and ConnectResponse included); else they follow a good handshake.
 */
export function clientSeeds(): Buffer[] {
  const connectOk = frame(Op.ConnectResponse, {
    requestId: CONNECT_ID,
    status: 0,
    protocolVersion: PROTOCOL_VERSION,
    supportedProtocolVersions: ['1.1.0', '1.0.0'],
    serverVersion: 'fuzz',
    clientIdentifier: 'x',
  });
  const rid = REQUEST_ID;
  const replies: [number, Buffer][] = [
    [0, frame(Op.ListStreamsResponse, { requestId: rid, status: 0, streams: ['a', 'b'] })],
    [1, frame(Op.AppendMessageResponse, { requestId: rid, status: 0, sequenceNumber: 2n ** 60n })],
    [
      2,
      frame(Op.ReadMessagesResponse, {
        requestId: rid,
        status: 0,
        messages: [{ streamName: 's', sequenceNumber: 5, ingestTime: 1700000000000, payload: Buffer.from('abc') }],
      }),
    ],
    [
      3,
      frame(Op.DescribeMessageStreamResponse, {
        requestId: rid,
        status: 0,
        messageStreamInfo: {
          definition: definition('s'),
          storageStatus: { oldestSequenceNumber: 0, newestSequenceNumber: 3, totalBytes: 10 },
          exportStatuses: [
            {
              exportConfigIdentifier: 'k1',
              lastExportedSequenceNumber: 2,
              lastExportTime: 1,
              exportedBytesFromStream: 5,
              exportedMessagesCount: 3,
            },
          ],
        },
      }),
    ],
    [4, frame(Op.CreateMessageStreamResponse, { requestId: rid, status: 0 })],
    [1, frame(Op.AppendMessageResponse, { requestId: rid, status: 3, errorMessage: 'bad' })],
    [2, frame(Op.UnknownOperationError, { requestId: rid, status: 18, errorMessage: 'unknown operation 5' })],
    [
      0,
      Buffer.concat([
        frame(Op.ListStreamsResponse, { requestId: 'other', status: 0, streams: [] }),
        frame(Op.ListStreamsResponse, { requestId: rid, status: 0, streams: [] }),
      ]),
    ],
  ];
  const out = replies.map(([op, reply]) => Buffer.concat([Buffer.from([op, 0]), reply]));
  out.push(Buffer.concat([Buffer.from([0, 1, CONNECT_VERSION]), connectOk, replies[0]![1]]));
  out.push(
    Buffer.concat([
      Buffer.from([0, 1, CONNECT_VERSION]),
      frame(Op.ConnectResponse, { requestId: CONNECT_ID, status: 2, errorMessage: 'no' }),
    ]),
  );
  out.push(Buffer.concat([Buffer.from([0, 1, 2]), connectOk]));
  return out;
}
