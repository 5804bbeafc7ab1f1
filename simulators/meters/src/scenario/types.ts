import type { MachineState, Quantity } from '@pcf-edge/core';
import type { SerialLine } from '@pcf-edge/profiles';

/** A simulator scenario (YAML or JSON; schema in schema.ts). Times are ISO-8601; durations carry their unit. */
export interface Scenario {
  /** Simulated time at which the scenario begins; counters hold their initial values then. */
  startTime: string;
  /** Simulated seconds per real second. */
  timeFactor: number;
  /** Seeds every deterministic variation (load jitter, voltages, garbage words). */
  seed: number;
  /** Real milliseconds between simulator ticks (OPC UA value updates, scheduled fault actions). */
  tickMs: number;
  sites: Site[];
  modbus: { devices: ModbusDevice[] };
  opcua?: OpcuaServer;
  faults: ScheduledFault[];
}

export interface Site {
  id: string;
  /** Site load outside the lines (lighting, compressors), measured by `baseload` meters. */
  baseloadKw: number;
  lines: Line[];
}

export interface PhaseSpec {
  state: Exclude<MachineState, 'off'>;
  minutes: number;
}

export interface Line {
  id: string;
  product?: string;
  /** Electrical load when idle, kW. */
  idleLoadKw: number;
  producingLoadKw: number;
  /** Default: idleLoadKw. */
  changeoverLoadKw?: number;
  /** Good + scrap units per hour while producing. */
  ratePerHour: number;
  /** Fraction 0..1 of units that are scrapped. */
  scrapRatio: number;
  gas?: { idleM3PerHour: number; producingM3PerHour: number };
  /** Relative random variation of each phase's load, 0..0.5 (seeded, fixed per phase occurrence). */
  jitter: number;
  /** Phases repeated from startTime. */
  schedule: PhaseSpec[];
}

export type MeterRole = 'lineTotal' | 'subMeter' | 'baseload';

export interface MeterCommon {
  id: string;
  /** Line the meter belongs to; required except for baseload meters. */
  line?: string;
  /** Site of a baseload meter; default: the site of `line`, or the only site. */
  site?: string;
  role: MeterRole;
  /** Fraction of the line's (or site baseload's) load through this meter; lineTotal shares of a line sum to 1. */
  share: number;
  /** Counter values at startTime, canonical units, by quantity (e.g. activeEnergyImport: 12345.6). */
  initial: Partial<Record<Quantity, number>>;
  serial?: string;
}

export interface ModbusMeter extends MeterCommon {
  unitId: number;
  profile: string;
  /** Time the meter takes to answer, ms: after the request on TCP; on RTU from the end of the request frame. */
  replyTimeMs: number;
}

/** tcp: a Modbus TCP server. rtu: an RTU bus on a serial device. rtuOverTcp: RTU frames behind a TCP port. */
export type ModbusTransport = 'tcp' | 'rtu' | 'rtuOverTcp';

export interface ModbusDevice {
  id: string;
  transport: ModbusTransport;
  /** tcp and rtuOverTcp: address to listen on (default 127.0.0.1). */
  host?: string;
  /** tcp and rtuOverTcp: port to listen on; 0 = an ephemeral port chosen at start. */
  port?: number;
  /** rtu: the serial device to serve (one end of a PTY pair); rtu and rtuOverTcp: the line that paces replies. */
  serial?: SerialLine & { path?: string };
  meters: ModbusMeter[];
}

/** What an OPC UA meter exposes: see opcua/nodes.ts for node ids and data types. */
export type OpcuaMeterType = 'electricity' | 'gas' | 'lineCounter' | 'machineState';

export interface OpcuaMeter extends MeterCommon {
  type: OpcuaMeterType;
}

/**
 * Endpoints the OPC UA server offers and how it treats client certificates: `acceptAny` trusts every client
 * certificate; `trustedOnly` accepts only those in `<pkiDir>/trusted/certs` and puts others in `<pkiDir>/rejected`,
 * as a production server does. Secure modes use Basic256Sha256. `pkiDir` is the server's PKI folder (default
 * `<tmpdir>/pcf-edge-sim-pki/server`).
 */
export interface OpcuaSecurity {
  modes: ('None' | 'Sign' | 'SignAndEncrypt')[];
  clientCertificates: 'acceptAny' | 'trustedOnly';
  pkiDir?: string;
}

export interface OpcuaServer {
  host: string;
  port: number;
  namespaceUri: string;
  /** Default: modes None and SignAndEncrypt, any client certificate accepted. */
  security?: OpcuaSecurity;
  meters: OpcuaMeter[];
}

export const FAULT_TYPES = [
  'noReply',
  'exception',
  'disconnect',
  'counterReset',
  'meterReplacement',
  'rollover',
  'nan',
  'garbage',
  'stuck',
  'badStatus',
  'restart',
  'crcError',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** A fault as the API and the control endpoint accept it; `at` defaults to now. */
export interface FaultSpec {
  type: FaultType;
  /** Simulated start (ISO-8601 or epoch ms); default now. */
  at?: string | number;
  /** Simulated seconds; absent = until cleared (transport faults) or instant (counter events, disconnect, restart). */
  durationSec?: number;
  /** Modbus exception code for `exception` (default 4). */
  code?: number;
  /** OPC UA status code name for `badStatus` (default BadSensorFailure). */
  statusCode?: string;
  /** Counter value (canonical unit) after `meterReplacement` (default 1) — a small start value. */
  startValue?: number;
  /** Serial of the new meter after `meterReplacement` (default `<old>-R<n>`). */
  serial?: string;
  /** For `rollover`: how far below the modulus the counter jumps, canonical unit (default 10 register steps). */
  belowModulus?: number;
  /** For `crcError` (RTU): corrupt the 1st reply and every `every`-th after it (default 1: every reply). */
  every?: number;
}

export interface ScheduledFault extends FaultSpec {
  /** Device id, meter id, or `opcua` (the OPC UA server). */
  target: string;
}
