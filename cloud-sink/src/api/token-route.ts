import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecurityStore } from '../store/security-store';
import type { ApiConfig, Scope } from './config';
import { SCOPES } from './config';
import { verifySecret } from './secrets';
import type { KeyRing } from './signing-keys';
import type { TokenService } from './tokens';

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
 * body `grant_type=client_credentials[&scope=pact ops:read …]` (form-encoded). Clients are read from the database
 * on every request, so a client disabled by an admin gets no new token at once. Rate-limited per client address.
 */
export function registerTokenRoute(
  app: FastifyInstance,
  config: ApiConfig,
  deps: { tokens: TokenService; security: SecurityStore },
): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.post(
    '/auth/token',
    {
      config: { rateLimit: { max: config.rateLimit.token, timeWindow: config.rateLimit.windowMs } },
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
      const client = creds.id.length <= 64 ? await deps.security.getClient(creds.id) : undefined;
      const ok = await verifySecret(creds.secret, client?.secretHash ?? DUMMY_HASH);
      if (!client || !ok || client.disabled)
        return oauthError(reply, 401, 'invalid_client', 'unknown or disabled client, or wrong secret', basicUsed);
      if (body.grant_type === undefined)
        return oauthError(reply, 400, 'invalid_request', 'grant_type is required (form-encoded body)');
      if (body.grant_type !== 'client_credentials')
        return oauthError(reply, 400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
      const own = client.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
      let scopes: Scope[] = own;
      if (typeof body.scope === 'string' && body.scope.trim() !== '') {
        const asked = body.scope.trim().split(/\s+/);
        if (asked.some((s) => !own.includes(s as Scope))) {
          return oauthError(reply, 400, 'invalid_scope', `scope must be a subset of: ${client.scopes.join(' ')}`);
        }
        scopes = asked as Scope[];
      }
      const t = await deps.tokens.issue(client.clientId, scopes);
      req.log.info({ clientId: client.clientId, scopes }, 'token issued');
      return reply
        .header('cache-control', 'no-store')
        .send({ access_token: t.token, token_type: 'bearer', expires_in: t.expiresInSec, scope: scopes.join(' ') });
    },
  );
}

/** OpenID-style discovery (PACT v2 §8.3 auth flow) and the public keys of this API's tokens; URLs from configuration. */
export function registerDiscovery(
  app: FastifyInstance,
  deps: { tokens: TokenService; base: string; keys: KeyRing },
): void {
  app.get('/.well-known/openid-configuration', () => ({
    issuer: deps.tokens.issuer,
    token_endpoint: `${deps.base}/auth/token`,
    jwks_uri: `${deps.base}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: [...SCOPES],
    response_types_supported: ['token'],
    id_token_signing_alg_values_supported: ['EdDSA'],
  }));
  app.get('/.well-known/jwks.json', async (_req, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return { keys: await deps.keys.publicJwks() };
  });
}
