/**
 * The error catalogue: stable codes that tests and operators match on. Messages may change; codes do not.
 * Add a code here (with a one-line meaning) before throwing it anywhere.
 */
export const ERROR_CODES = {
  ERR_CONFIG_INVALID: 'a configuration failed schema or semantic validation; details.errors lists every path',
  ERR_CONFIG_READ: 'a configuration file could not be read or parsed (JSON or YAML)',
  ERR_USAGE: 'a command line was malformed',
  ERR_STORE: 'the gateway store failed (SQLite)',
  ERR_STORE_FULL: 'the gateway store is full (disk or size cap)',
  ERR_STORE_CONFLICT: 'another process advanced the same cursor in the gateway store; the batch was rolled back',
  ERR_PROFILE_UNKNOWN: 'a meter profile name is not in the catalogue',
  ERR_CODEC: 'a value cannot be encoded or decoded with the given type and word order',
  ERR_SCENARIO_INVALID: 'a simulator scenario failed validation',
  ERR_MODBUS_TIMEOUT: 'a Modbus request timed out',
  ERR_MODBUS_EXCEPTION: 'a Modbus device answered with an exception code',
  ERR_MODBUS_DISCONNECTED: 'the Modbus TCP connection or serial port is closed, or a reply left the link in doubt',
  ERR_MODBUS_CRC: 'a Modbus RTU reply failed its CRC check on every attempt',
  ERR_MODBUS_CIRCUIT_OPEN: 'a unit id is skipped by its circuit breaker',
  ERR_DECODE: 'a register or node value could not be decoded into a number',
  ERR_OPCUA: 'an OPC UA session, subscription or read failed',
  ERR_SM_PROTOCOL: 'a Stream Manager frame was malformed or unexpected',
  ERR_SM_STATUS: 'Stream Manager answered with a non-success status (details.status)',
  ERR_SM_TIMEOUT: 'a Stream Manager connect or request timed out',
  ERR_SM_CONNECTION: 'the Stream Manager connection closed or failed',
  ERR_SM_PAYLOAD_TOO_LARGE: 'a message exceeds the size Stream Manager accepts',
  ERR_KINESIS: 'a Kinesis call failed',
  ERR_RECORD_INVALID: 'an exported record failed schema validation',
  ERR_REFERENCE_INVALID: 'a reference-data file failed validation; details.errors lists every bad row and column',
  ERR_BOM_CYCLE: 'a bill of materials references itself; details.cycle names it',
  ERR_FACTOR_MISSING: 'an emission factor needed for a calculation is missing; the message names it',
  ERR_BASIS_MISMATCH: 'energy and its factor are on different calorific-value bases',
  ERR_UNIT: 'a unit is unknown or cannot be converted',
  ERR_SUPPLY_EXCEEDS:
    "a site's contracted and certified electricity exceeds its metered consumption in the period; the message names the excess kWh, the site and the period",
  ERR_SUPPLY_PERIOD:
    "a site's electricity supply mix does not fit the calculation period (volumes are for another period, or two mixes apply)",
  ERR_NOT_FOUND: 'a requested entity does not exist',
  ERR_AUDIT: 'an audit record does not reproduce its result or its chain is broken',
  ERR_ARCHIVE: 'the raw archive could not be written or read, or an object in it does not match its hash',
  ERR_IPC: 'a Greengrass IPC call failed',
  ERR_RECOMPUTE: 'a scheduled recomputation left products without a result; details.report names each and why',
  ERR_SECRET: 'a secret could not be read from the secret store, or its value does not have the expected shape',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PcfError extends Error {
  override readonly name = 'PcfError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isPcfError(err: unknown, code?: ErrorCode): err is PcfError {
  return err instanceof PcfError && (code === undefined || err.code === code);
}
