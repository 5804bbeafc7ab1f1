import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConfig, Scope } from './config';
import { SCOPES } from './config';
import { verifySecret } from './secrets';
import type { TokenStore } from './tokens';

/** Hash verified for unknown client ids, so their answer takes as long as a wrong secret's. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const m = typeof header === 'string' ? /^Basic ([A-Za-z0-9+/=]{1,1000})$/i.exec(header) : null;
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  // RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
  try {
    return {
      id: decodeURIComponent(text.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(text.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}

/** RFC 6749 §5.2: WWW-Authenticate only when the client authenticated with the Authorization header. */
const oauthError = (reply: FastifyReply, status: number, error: string, description: string, basicUsed = true) => {
  if (status === 401 && basicUsed) void reply.header('www-authenticate', 'Basic realm="pcf-edge"');
  return reply.status(status).header('cache-control', 'no-store').send({ error, error_description: description });
};

/**
 * POST /auth/token — OAuth 2 client credentials (RFC 6749 §4.4); client authentication by HTTP Basic (PACT) or,
 * for the dashboard, `client_id`/`client_secret` form fields (a browser shows no password prompt for that 401);
 * body `grant_type=client_credentials[&scope=read upload]` (form-encoded). Rate-limited per client address.
 */
export function registerTokenRoute(app: FastifyInstance, config: ApiConfig, tokens: TokenStore): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.post(
    '/auth/token',
    {
      config: { rateLimit: { max: config.tokenRateLimit.max, timeWindow: config.tokenRateLimit.windowMs } },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const posted =
        typeof body.client_id === 'string' && typeof body.client_secret === 'string'
          ? { id: body.client_id, secret: body.client_secret }
          : undefined;
      const creds = req.headers.authorization !== undefined ? basicCredentials(req.headers.authorization) : posted;
      const basicUsed = req.headers.authorization !== undefined;
      if (!creds)
        return oauthError(
          reply,
          401,
          'invalid_client',
          'client authentication is required (HTTP Basic, or client_id and client_secret in the form)',
          basicUsed,
        );
      const client = config.clients.find((c) => c.clientId === creds.id);
      const ok = await verifySecret(creds.secret, client?.secretHash ?? DUMMY_HASH);
      if (!client || !ok) return oauthError(reply, 401, 'invalid_client', 'unknown client or wrong secret', basicUsed);
      if (body.grant_type === undefined)
        return oauthError(reply, 400, 'invalid_request', 'grant_type is required (form-encoded body)');
      if (body.grant_type !== 'client_credentials')
        return oauthError(reply, 400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
      let scopes: Scope[] = client.scopes;
      if (typeof body.scope === 'string' && body.scope.trim() !== '') {
        const asked = body.scope.trim().split(/\s+/);
        if (asked.some((s) => !(SCOPES as readonly string[]).includes(s) || !client.scopes.includes(s as Scope))) {
          return oauthError(reply, 400, 'invalid_scope', `scope must be a subset of: ${client.scopes.join(' ')}`);
        }
        scopes = asked as Scope[];
      }
      const t = tokens.issue(client.clientId, scopes);
      req.log.info({ clientId: client.clientId, scopes }, 'token issued');
      return reply
        .header('cache-control', 'no-store')
        .send({ access_token: t.token, token_type: 'bearer', expires_in: t.expiresInSec, scope: scopes.join(' ') });
    },
  );
}
