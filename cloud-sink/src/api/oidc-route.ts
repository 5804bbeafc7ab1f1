import type { FastifyInstance } from 'fastify';
import type { ApiConfig } from './config';
import { HttpError } from './errors';
import type { OidcMetadata, TokenService } from './tokens';

/** What the dashboard asks the people's issuer for: an ID token is not needed, the access token carries the groups. */
export const DASHBOARD_OIDC_SCOPE = 'openid email profile';

/**
 * The origins the dashboard's page may connect to besides its own: the OIDC issuer's token endpoint, once its
 * discovery document was read (the content security policy's `connect-src`, ADR 0198).
 */
export function createOidcOrigins(tokens: TokenService) {
  let origins = '';
  return {
    /** Reads the discovery document (at start and on GET /auth/oidc); failures are the caller's to log. */
    async refresh(): Promise<OidcMetadata | undefined> {
      const m = await tokens.oidcMetadata();
      if (m) origins = new URL(m.tokenEndpoint).origin;
      return m;
    },
    /** `connect-src` sources for a page served now (`'self'` alone until discovery succeeded). */
    connectSrc: (): string => (origins ? `'self' ${origins}` : "'self'"),
  };
}
export type OidcOrigins = ReturnType<typeof createOidcOrigins>;

/**
 * GET /auth/oidc (public) — how the dashboard signs a person in: the issuer's authorization, token and end-session
 * endpoints (from its discovery document, never from the request), the dashboard's client id and the scope to ask
 * for. 204 when no issuer is configured (the dashboard then offers client credentials only); 503 when its discovery
 * document cannot be read.
 */
export function registerOidcRoute(app: FastifyInstance, config: ApiConfig, origins: OidcOrigins): void {
  app.get('/auth/oidc', async (req, reply) => {
    const oidc = config.oidc;
    if (!oidc) return reply.status(204).send();
    let m: OidcMetadata | undefined;
    try {
      m = await origins.refresh();
    } catch (err) {
      req.log.warn({ err, issuer: oidc.issuer }, 'OIDC discovery failed');
    }
    if (!m) throw new HttpError(503, 'ServiceUnavailable', `the sign-in issuer ${oidc.issuer} cannot be reached`);
    void reply.header('cache-control', 'no-store');
    return { ...m, clientId: oidc.dashboardClientId ?? oidc.audience, scope: DASHBOARD_OIDC_SCOPE };
  });
}
