import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Scope } from './config';
import { HttpError } from './errors';
import type { Principal, TokenCheck, TokenService } from './tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` when the request carried a valid bearer token. */
    principal?: Principal;
    /** Set by `authenticate` when it carried one that is not valid (the scope check answers with it). */
    tokenFailure?: Extract<TokenCheck, { ok: false }>;
  }
}

/** RFC 6750 §3 challenge, sent with every token error so a client (the dashboard) can tell it from other 400s. */
const challenge = (error: string) => ({ 'www-authenticate': `Bearer realm="pcf-edge", error="${error}"` });

/**
 * An onRequest hook: verifies the bearer token when the request has one and remembers the outcome, so rate limits
 * can key on the client id. Routes decide with `requireScope`; a request without a token is not refused here.
 */
export function authenticate(tokens: TokenService) {
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !/^bearer /i.test(header)) return;
    const token = header.slice(7).trim();
    const check: TokenCheck = /^[A-Za-z0-9_.-]+$/.test(token)
      ? await tokens.verify(token)
      : { ok: false, reason: 'invalid', detail: 'malformed' };
    if (check.ok) req.principal = check.principal;
    else req.tokenFailure = check;
  };
}

/**
 * A preHandler admitting only a valid token carrying `scope`. PACT v2 §8.9 codes on every route: a missing or
 * invalid token is 400 BadRequest (with a Bearer challenge), an expired one 401 TokenExpired, a valid one without
 * the scope 403 AccessDenied.
 */
export function requireScope(scope: Scope) {
  return (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (req.tokenFailure?.reason === 'expired') {
      void reply.headers(challenge('invalid_token'));
      return Promise.reject(
        new HttpError(401, 'TokenExpired', 'the access token has expired; request a new one from POST /auth/token'),
      );
    }
    if (req.tokenFailure || !req.principal) {
      void reply.headers(challenge(req.tokenFailure ? 'invalid_token' : 'invalid_request'));
      return Promise.reject(
        new HttpError(
          400,
          'BadRequest',
          req.tokenFailure
            ? 'invalid access token'
            : 'a bearer token is required (Authorization: Bearer <token> from POST /auth/token)',
        ),
      );
    }
    if (!req.principal.scopes.includes(scope))
      return Promise.reject(new HttpError(403, 'AccessDenied', `the access token lacks the '${scope}' scope`));
    return Promise.resolve();
  };
}
