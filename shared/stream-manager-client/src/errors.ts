import { PcfError } from '@pcf-edge/core';
import { statusName, type StatusName } from './protocol';

/** Stream Manager answered with a non-success status. Match on `statusName` (or `status`), not on the message. */
export class StreamManagerError extends PcfError {
  readonly status: number;
  readonly statusName: StatusName | `Status${number}`;
  /** The server's `errorMessage` (or the local reason) without the status prefix. */
  readonly errorMessage: string;
  constructor(status: number, message: string, details: Record<string, unknown> = {}) {
    const name = statusName(status);
    super('ERR_SM_STATUS', `Stream Manager: ${name} (status ${status}): ${message}`, {
      ...details,
      status,
      statusName: name,
    });
    this.status = status;
    this.statusName = name;
    this.errorMessage = message;
  }
}

export function isStreamManagerStatus(err: unknown, name: StatusName): err is StreamManagerError {
  return err instanceof StreamManagerError && err.statusName === name;
}

/** The connection closed or could not be opened; pending requests are rejected with it (ERR_SM_CONNECTION). */
export function connectionError(message: string, cause?: unknown): PcfError {
  return new PcfError('ERR_SM_CONNECTION', message, {}, cause === undefined ? undefined : { cause });
}
