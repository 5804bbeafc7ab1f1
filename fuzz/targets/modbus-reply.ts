import fc from 'fast-check';
import { silentLogger } from '@pcf-edge/core';
import type { RegisterType } from '@pcf-edge/profiles';
import {
  createDeviceLink,
  type DeviceLink,
  type ReadData,
  type ReadRequest,
} from '../../components/modbus-collector/src';
import type { ResolvedPoint, Table } from '../../components/modbus-collector/src/config';
import type { PlannedPoint } from '../../components/modbus-collector/src/planner';
import { assess, pointReader } from '../../components/modbus-collector/src/quality';
import { InvariantError, type FuzzTarget } from '../engine';
import { mbapException, mbapReply, startGarbledModbusServer, type GarbledModbusServer } from '../garbled-modbus-server';
import { expectPcfError } from './support';

const LANES = 64;
const UNIT = 1;
const MODBUS_CODES = ['ERR_MODBUS_TIMEOUT', 'ERR_MODBUS_EXCEPTION', 'ERR_MODBUS_DISCONNECTED'];
const TABLES = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' } as const;

/** Byte 0: bit 0 patch the transaction id, bit 1 close after the reply. Byte 1: function code (low 2 bits + 1) and count. */
export function requestFor(b1: number): ReadRequest {
  const functionCode = ((b1 & 3) + 1) as 1 | 2 | 3 | 4;
  return {
    unitId: UNIT,
    table: TABLES[functionCode],
    functionCode,
    address: 100,
    count: 1 + ((b1 >> 2) % 16),
    points: [],
  };
}

const registers = (n: number) => Buffer.from(Array.from({ length: n * 2 }, (_, i) => (i * 37) & 0xff));
const seed = (flags: number, b1: number, bytes: Buffer) => Buffer.concat([Buffer.from([flags, b1]), bytes]);

interface Lane {
  server: GarbledModbusServer;
  link: DeviceLink;
  input: Buffer;
}

/**
 * Modbus replies to the collector's device link (Modbus TCP framing in mbap.ts), from a raw server sending the fuzzed bytes
 * (fuzz/garbled-modbus-server.ts), 64 long-lived links in parallel. Invariant: each read rejects with an ERR_MODBUS_*
 * PcfError within the link timeout, or resolves with data the collector assesses (quality.ts) to a finite value or to
 * `bad` with a reason; every 1,000 inputs each link still reads a good reply after the garbage.
 */
export const modbusReply: FuzzTarget = {
  name: 'modbus-reply',
  seeds: () => [
    seed(1, 2 | (1 << 2), mbapReply(UNIT, 3, registers(2))),
    seed(1, 3 | (3 << 2), mbapReply(UNIT, 4, registers(4))),
    seed(1, 0 | (7 << 2), mbapReply(UNIT, 1, Buffer.from([0xa5]))),
    seed(1, 1 | (9 << 2), mbapReply(UNIT, 2, Buffer.from([0xff, 0x03]))),
    seed(1, 2, mbapException(UNIT, 3, 2)),
    seed(1, 2, mbapException(UNIT, 3, 11)),
    seed(3, 2 | (1 << 2), mbapReply(UNIT, 3, registers(2)).subarray(0, 9)),
    seed(0, 2, mbapReply(UNIT, 3, registers(1), 999)),
    seed(1, 2, Buffer.concat([mbapReply(UNIT, 3, registers(1)), mbapReply(UNIT, 3, registers(1))])),
    seed(1, 2 | (15 << 2), mbapReply(UNIT, 3, registers(16))),
  ],
  arbitrary: fc.uint8Array({ minLength: 2, maxLength: 300 }),
  concurrency: LANES,
  timeoutMs: 5000,
  maxBytes: 1024,
  async setup() {
    const lanes: Lane[] = [];
    for (let i = 0; i < LANES; i++) {
      const lane = { input: Buffer.alloc(2) } as Lane;
      lane.server = await startGarbledModbusServer(() => ({
        bytes: lane.input.subarray(2),
        patchTid: ((lane.input[0] ?? 0) & 1) === 1,
        close: ((lane.input[0] ?? 0) & 2) === 2,
      }));
      lane.link = createDeviceLink(
        {
          id: `fuzz-${i}`,
          transport: 'tcp',
          host: '127.0.0.1',
          port: lane.server.port,
          timeoutMs: 150,
          connectTimeoutMs: 2000,
          maxRegistersPerRead: 125,
          maxGapRegisters: 0,
          pauseBetweenRequestsMs: 0,
          retry: { initialDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 'none' },
          circuitBreaker: { failures: 1000, cooldownMs: 1 },
        },
        silentLogger(),
      );
      lanes.push(lane);
    }
    const free = [...lanes];
    const read = async (lane: Lane, input: Buffer) => {
      lane.input = input;
      const request = requestFor(input[1] ?? 0);
      try {
        const { data } = await lane.link.read(request);
        checkData(request, data);
        return data;
      } catch (err) {
        if (err instanceof InvariantError) throw err;
        expectPcfError(err, MODBUS_CODES, `FC${request.functionCode} read`);
        return undefined;
      }
    };
    return {
      async run(input) {
        const lane = free.pop();
        if (!lane) throw new Error('no free lane');
        try {
          await read(lane, input);
        } finally {
          free.push(lane);
        }
      },
      async check() {
        const good = seed(1, 2 | (1 << 2), mbapReply(UNIT, 3, registers(2)));
        for (const lane of [...free]) {
          free.splice(free.indexOf(lane), 1);
          try {
            // the first reads may meet a link dropped by the previous input, or time out on a loaded machine
            let data: ReadData | undefined;
            for (let attempt = 0; attempt < 5 && !data; attempt++) data = await read(lane, good);
            if (JSON.stringify(data) !== JSON.stringify([0x0025, 0x4a6f]))
              throw new InvariantError(`good reply read as ${JSON.stringify(data)}`);
          } finally {
            free.push(lane);
          }
        }
      },
      async teardown() {
        if (mismatches.count > 0)
          console.error(
            `modbus-reply: ${mismatches.count} accepted replies had an item count other than requested (readings assessed bad or from the leading items)`,
          );
        await Promise.all(lanes.map((l) => l.link.close()));
        await Promise.all(lanes.map((l) => l.server.close()));
      },
    };
  },
};

/** Replies whose item count differs from the request (accepted by the link; the readings then come out bad). */
export const mismatches = { count: 0 };

function point(table: Table, type: RegisterType): ResolvedPoint {
  return {
    name: 'p',
    quantity: 'activeEnergyImport',
    kind: 'counter',
    table,
    address: 100,
    type,
    wordOrder: 'ABCD',
    scale: 1,
    offset: 0,
  } as ResolvedPoint;
}

/** What the collector makes of the data: every point assessed to a finite value, or bad with a reason. */
function checkData(request: ReadRequest, data: unknown): void {
  if (!Array.isArray(data))
    throw new InvariantError(`read resolved with ${typeof data}: ${JSON.stringify(data)?.slice(0, 200)}`);
  const expected =
    request.functionCode >= 3
      ? data.length === request.count
      : data.length >= request.count && data.length < request.count + 8;
  if (!expected) mismatches.count++;
  const planned: PlannedPoint[] =
    request.functionCode >= 3
      ? [
          { point: point(request.table, 'float32'), offset: 0, length: 2 },
          { point: point(request.table, 'uint16'), offset: request.count - 1, length: 1 },
        ]
      : [{ point: point(request.table, 'uint16'), offset: request.count - 1, length: 1 }];
  for (const p of planned) {
    const a = assess(p, data as ReadData, 0, pointReader(p.point));
    if (a.quality === 'bad' ? !a.qualityReason : !(typeof a.value === 'number' && Number.isFinite(a.value))) {
      throw new InvariantError(`point at offset ${p.offset} assessed as ${JSON.stringify(a)}`);
    }
  }
}
