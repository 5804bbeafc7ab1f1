import type { FastifyRequest } from 'fastify';
import type { Scope } from './config';
import { HttpError } from './errors';
import type { Grant, TokenStore } from './tokens';

declare module 'fastify' {
  interface FastifyRequest {
    grant?: Grant;
  }
}

/** A preHandler admitting only a valid, unexpired bearer token carrying `scope` (PACT error codes). */
export function requireScope(tokens: TokenStore, scope: Scope) {
  return (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{1,200})$/i.exec(header) : null;
    if (!m)
      return Promise.reject(
        new HttpError(
          403,
          'AccessDenied',
          'a bearer token is required (Authorization: Bearer <token> from POST /auth/token)',
        ),
      );
    const check = tokens.check(m[1]!);
    if (!check.ok) {
      return Promise.reject(
        check.reason === 'expired'
          ? new HttpError(401, 'TokenExpired', 'the access token has expired; request a new one from POST /auth/token')
          : new HttpError(403, 'AccessDenied', 'the access token is not valid'),
      );
    }
    if (!check.grant.scopes.includes(scope))
      return Promise.reject(new HttpError(403, 'AccessDenied', `the access token lacks the '${scope}' scope`));
    req.grant = check.grant;
    return Promise.resolve();
  };
}
