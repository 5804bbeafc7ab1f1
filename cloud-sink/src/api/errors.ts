import { isPcfError, type Logger } from '@pcf-edge/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * An HTTP error with a stable `code`: the PACT v2 codes (BadRequest, AccessDenied, TokenExpired, NoSuchFootprint,
 * NotImplemented) plus NotFound, PayloadTooLarge, UnsupportedMediaType, TooManyRequests, InternalError. The body
 * is always `{ code, message, details? }`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const PCF_STATUS: Record<string, number> = {
  ERR_USAGE: 400,
  ERR_REFERENCE_INVALID: 400,
  ERR_CONFIG_INVALID: 400,
  ERR_NOT_FOUND: 404,
  ERR_BOM_CYCLE: 422,
  ERR_FACTOR_MISSING: 422,
  ERR_BASIS_MISMATCH: 422,
  ERR_UNIT: 422,
  ERR_SUPPLY_EXCEEDS: 422,
  ERR_SUPPLY_PERIOD: 422,
};

const FASTIFY_CODES: Record<number, string> = {
  400: 'BadRequest',
  404: 'NotFound',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
};

/** The one error handler: maps every error to its status and body; only unexpected errors are logged (as errors). */
export function errorHandler(log: Logger) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err instanceof HttpError) {
      return reply
        .status(err.status)
        .send({ code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
    }
    if (isPcfError(err) && PCF_STATUS[err.code] !== undefined) {
      return reply.status(PCF_STATUS[err.code]!).send({ code: err.code, message: err.message, details: err.details });
    }
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const validation = (err as FastifyError).validation;
      const message = validation ? `invalid request: ${err.message}` : err.message;
      return reply.status(status).send({ code: FASTIFY_CODES[status] ?? 'BadRequest', message });
    }
    log.error({ err, method: req.method, route: req.routeOptions.url }, 'request failed');
    return reply.status(500).send({ code: 'InternalError', message: 'internal error (logged on the server)' });
  };
}
