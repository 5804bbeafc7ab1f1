import { PcfError } from '@pcf-edge/core';
import type { DeviceConfig } from './config';
import type { ReadData } from './mbap';
import type { ReadRequest } from './planner';

export type { ReadData } from './mbap';

export interface ReadResponse {
  data: ReadData;
  /** From the request leaving the queue to its reply, ms. */
  rttMs: number;
}

export interface LinkStats {
  requests: number;
  responses: number;
  timeouts: number;
  exceptions: number;
  connects: number;
  connectFailures: number;
  drops: number;
  /** RTU: replies that failed their CRC check (each retried while the device's crcRetries last). */
  crcErrors: number;
}

/**
 * Reads that belong together (one meter's poll). After a link failure or a unit-failure exception of one member,
 * the members still queued fail at once with the same reason instead of going to a device in doubt.
 */
export interface ReadGroup {
  failed: string | null;
}

/**
 * The way to one Modbus device: a TCP endpoint (tcp-link.ts) or an RTU bus on a serial port or over TCP
 * (rtu-link.ts). Guarantees every implementation gives:
 * - at most one request in flight; requests go out in the order `read` was called (FIFO);
 * - every `read` settles exactly once: data, or a PcfError (ERR_MODBUS_TIMEOUT, ERR_MODBUS_EXCEPTION with
 *   `details.exceptionCode`, ERR_MODBUS_DISCONNECTED, ERR_MODBUS_CRC on RTU) whose `details.reason` is a short
 *   quality reason;
 * - a unit-failure exception (UNIT_FAILURE_EXCEPTIONS) or a link failure sets `group.failed`, and queued members of
 *   a failed group fail at once without touching the wire;
 * - a timeout, an unexpected or malformed reply, or a lost connection puts the link in doubt and it is reset: a
 *   TCP link drops its socket; an RTU bus, shared by several units, discards what it receives until the line has
 *   been quiet for the inter-frame silence, so one silent unit costs the others one response timeout, not the bus;
 * - a lost connection or port is reopened after the wait of the device's retry policy (the first reopen after a
 *   working link at once); while it waits, reads fail at once, so a dead device holds its callers no longer than one
 *   connect or request timeout.
 */
export interface DeviceLink {
  readonly device: DeviceConfig;
  readonly stats: LinkStats;
  readonly connected: boolean;
  read(request: ReadRequest, group?: ReadGroup): Promise<ReadResponse>;
  /**
   * Fails everything queued and closes the connection; later reads fail at once. Resolves once the transport is
   * released (a serial port closed and its lock freed), so whoever opens it next, a reloaded collector or another
   * program, finds it free.
   */
  close(): Promise<void>;
}

/** Exception codes that say the unit itself is unwell (device failure, busy, gateway path/target); they fail the group and count for the breaker. */
export const UNIT_FAILURE_EXCEPTIONS: ReadonlySet<number> = new Set([4, 5, 6, 10, 11]);

export function linkError(
  code: 'ERR_MODBUS_TIMEOUT' | 'ERR_MODBUS_EXCEPTION' | 'ERR_MODBUS_DISCONNECTED' | 'ERR_MODBUS_CRC',
  reason: string,
  extra: Record<string, unknown> = {},
): PcfError {
  return new PcfError(code, reason, { reason, ...extra });
}

/** Registers (FC3/FC4) must come back exactly as many as asked; bits (FC1/FC2) padded to whole bytes. */
export function replySizeMismatch(functionCode: number, count: number, data: ReadData): string | null {
  const got = data.length;
  if (functionCode >= 3) return got === count ? null : `${count} registers asked, ${got} received`;
  return got >= count && got < count + 8 ? null : `${count} bits asked, ${got} received`;
}
