import * as eventstream_rpc from 'aws-iot-device-sdk-v2/dist/eventstream_rpc';
import { PcfError } from '@pcf-edge/core';

/**
 * The short name of a modelled IPC error (`ResourceNotFoundError`, `ServiceError`, `UnauthorizedError`, …), read
 * from the `_errorCode` field the nucleus puts in every error body; undefined for non-service failures.
 */
export function ipcErrorCode(err: unknown): string | undefined {
  if (!(err instanceof eventstream_rpc.RpcError) || err.type !== eventstream_rpc.RpcErrorType.ServiceError)
    return undefined;
  const code = (err.serviceError as { _errorCode?: unknown } | undefined)?._errorCode;
  return typeof code === 'string' ? code : 'ServiceError';
}

/** Wraps an SDK failure as PcfError ERR_IPC; details carry the operation, the modelled error code and the SDK error type. */
export function ipcError(operation: string, err: unknown): PcfError {
  const errorCode = ipcErrorCode(err);
  const rpcType = err instanceof eventstream_rpc.RpcError ? eventstream_rpc.RpcErrorType[err.type] : undefined;
  const serviceMessage =
    err instanceof eventstream_rpc.RpcError
      ? (err.serviceError as { message?: unknown } | undefined)?.message
      : undefined;
  const detail = typeof serviceMessage === 'string' ? serviceMessage : (err as Error).message;
  return new PcfError(
    'ERR_IPC',
    `Greengrass IPC ${operation} failed: ${errorCode ?? rpcType ?? 'error'}: ${detail}`,
    {
      operation,
      errorCode,
      rpcErrorType: rpcType,
    },
    { cause: err },
  );
}
