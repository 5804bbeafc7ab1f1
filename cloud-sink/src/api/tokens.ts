import { randomUUID } from 'node:crypto';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { SCOPES, type OidcIssuer, type Scope } from './config';
import type { KeyRing } from './signing-keys';

/** Who a verified access token speaks for. `issuer`: this API ('local') or the configured OIDC issuer ('oidc'). */
export interface Principal {
  clientId: string;
  scopes: Scope[];
  issuer: 'local' | 'oidc';
  expiresAtMs: number;
}

export type TokenCheck =
  { ok: true; principal: Principal } | { ok: false; reason: 'invalid' | 'expired'; detail: string };

export interface TokenServiceOptions {
  keys: KeyRing;
  /** `iss` of the tokens this API signs (the public base URL, or a fixed URN when none is configured). */
  issuer: string;
  audience: string;
  ttlSec: number;
  oidc?: OidcIssuer;
  now?: () => number;
  /** Fetch of the OIDC discovery document (tests and the default: global fetch). */
  fetchJson?: (url: string) => Promise<unknown>;
}

/** Largest token accepted (bytes of the compact form); anything longer is invalid without parsing. */
const MAX_TOKEN_LENGTH = 8192;
const CLOCK_TOLERANCE_SEC = 5;
/** Verified tokens kept per process (a token string is ~600 bytes: at most ~3 MB). */
const VERIFIED_CACHE_SIZE = 5000;

/** Scopes a person's group may grant (ADR 0197): operator and admin, never `pact` (partners are clients with grants). */
const GROUP_SCOPES: readonly Scope[] = ['ops:read', 'ops:write', 'admin'];

/** The endpoints of the OIDC issuer's discovery document the dashboard needs (ADR 0198). */
export interface OidcMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  endSessionEndpoint?: string;
}

const knownScopes = (raw: unknown, prefix: string): Scope[] => {
  const list = typeof raw === 'string' ? raw.split(/\s+/) : Array.isArray(raw) ? raw : [];
  return list
    .filter((s): s is string => typeof s === 'string')
    .map((s) => (prefix && s.startsWith(prefix) ? s.slice(prefix.length) : s))
    .filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
};

/**
 * Signs stateless access tokens (JWT, EdDSA, `kid` of the signing key, `typ` at+jwt per RFC 9068) and verifies
 * tokens of this API (any instance sharing the key file) or of the configured OIDC issuer (JWKS from its discovery
 * document, cached by jose and refetched for an unknown `kid`). Verification never touches the database.
 */
export function createTokenService(o: TokenServiceOptions) {
  const now = o.now ?? Date.now;
  const nowDate = () => new Date(now());
  const fetchJson =
    o.fetchJson ?? (async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(5000) })).json());
  // the discovery document, fetched once (again after a failure)
  let discovery: Promise<Record<string, unknown>> | undefined;
  const discover = (oidc: OidcIssuer): Promise<Record<string, unknown>> => {
    discovery ??= (async () => {
      const doc = (await fetchJson(`${oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)) as Record<
        string,
        unknown
      >;
      if (doc.issuer !== oidc.issuer || typeof doc.jwks_uri !== 'string')
        throw new Error(`OIDC discovery of ${oidc.issuer} names another issuer or no jwks_uri`);
      return doc;
    })();
    discovery.catch(() => (discovery = undefined));
    return discovery;
  };
  let remoteKeys: JWTVerifyGetKey | undefined;
  const oidcKeys = async (oidc: OidcIssuer): Promise<JWTVerifyGetKey> => {
    const doc = await discover(oidc);
    remoteKeys ??= createRemoteJWKSet(new URL(doc.jwks_uri as string), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
    });
    return remoteKeys;
  };
  const failure = (err: unknown): TokenCheck =>
    err instanceof errors.JWTExpired
      ? { ok: false, reason: 'expired', detail: 'the access token has expired' }
      : { ok: false, reason: 'invalid', detail: err instanceof errors.JOSEError ? err.code : 'unverifiable' };

  async function verifyLocal(token: string): Promise<TokenCheck> {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid ? await o.keys.verifying(header.kid) : undefined;
        if (!key) throw new errors.JWKSNoMatchingKey();
        return key;
      },
      {
        algorithms: ['EdDSA'],
        issuer: o.issuer,
        audience: o.audience,
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'client_id'],
        clockTolerance: CLOCK_TOLERANCE_SEC,
        currentDate: nowDate(),
      },
    );
    return principalOf(payload, 'local', '');
  }

  async function verifyOidc(token: string, oidc: OidcIssuer): Promise<TokenCheck> {
    const { payload } = await jwtVerify(token, await oidcKeys(oidc), {
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      issuer: oidc.issuer,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SEC,
      currentDate: nowDate(),
    });
    const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    if (!aud.includes(oidc.audience) && payload.client_id !== oidc.audience)
      return { ok: false, reason: 'invalid', detail: 'the token is for another audience' };
    const groups = oidc.groupsClaim !== undefined ? payload[oidc.groupsClaim] : undefined;
    if (groups === undefined) return principalOf(payload, 'oidc', oidc.scopePrefix);
    // a person: known as `sub` (so each has their own rate-limit bucket), scopes from their groups
    const fromGroups = knownScopes(groups, '').filter((s) => GROUP_SCOPES.includes(s));
    return principalOf(payload, 'oidc', oidc.scopePrefix, fromGroups, [payload.sub]);
  }

  function principalOf(
    p: JWTPayload,
    issuer: Principal['issuer'],
    prefix: string,
    extra: Scope[] = [],
    ids: unknown[] = [p.client_id, p.azp, p.sub],
  ): TokenCheck {
    const clientId = ids.find((v): v is string => typeof v === 'string' && v.length > 0);
    if (!clientId) return { ok: false, reason: 'invalid', detail: 'the token names no client' };
    const scopes = [...new Set([...knownScopes(p.scope ?? p.scp, prefix), ...extra])];
    return { ok: true, principal: { clientId, scopes, issuer, expiresAtMs: p.exp! * 1000 } };
  }

  // A token verified once is the same token until it expires: its principal is kept, so a client's further requests
  // cost a map lookup instead of a signature check (Ed25519 or the issuer's RSA/ECDSA). Keyed by the whole token
  // string; only successes are kept; an entry is used only while the token would still verify (exp + tolerance).
  const verified = new Map<string, Principal>();
  const remember = (token: string, check: TokenCheck): TokenCheck => {
    if (!check.ok) return check;
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, check.principal);
    return check;
  };
  const stillValid = (p: Principal) => now() < p.expiresAtMs + CLOCK_TOLERANCE_SEC * 1000;

  return {
    issuer: o.issuer,
    /** The configured OIDC issuer's endpoints from its discovery document; undefined without one. Rejects when unreachable. */
    async oidcMetadata(): Promise<OidcMetadata | undefined> {
      if (!o.oidc) return undefined;
      const doc = await discover(o.oidc);
      const url = (k: string) => (typeof doc[k] === 'string' && /^https?:\/\//.test(doc[k]) ? doc[k] : undefined);
      const authorizationEndpoint = url('authorization_endpoint');
      const tokenEndpoint = url('token_endpoint');
      if (!authorizationEndpoint || !tokenEndpoint)
        throw new Error(`OIDC discovery of ${o.oidc.issuer} names no authorization_endpoint or token_endpoint`);
      const endSessionEndpoint = url('end_session_endpoint');
      return {
        issuer: o.oidc.issuer,
        authorizationEndpoint,
        tokenEndpoint,
        ...(endSessionEndpoint ? { endSessionEndpoint } : {}),
      };
    },
    async issue(clientId: string, scopes: Scope[]): Promise<{ token: string; expiresInSec: number }> {
      const { kid, key } = await o.keys.signing();
      const iat = Math.floor(now() / 1000);
      const token = await new SignJWT({ client_id: clientId, scope: scopes.join(' ') })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
        .setIssuer(o.issuer)
        .setAudience(o.audience)
        .setSubject(clientId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + o.ttlSec)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresInSec: o.ttlSec };
    },
    /** Never throws: a malformed, foreign, forged or expired token is a TokenCheck failure. */
    async verify(token: string): Promise<TokenCheck> {
      if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid', detail: 'the token is too long' };
      const kept = verified.get(token);
      if (kept && stillValid(kept)) return { ok: true, principal: kept };
      if (kept) verified.delete(token);
      try {
        decodeProtectedHeader(token);
        const iss = decodeJwt(token).iss;
        if (iss === o.issuer) return remember(token, await verifyLocal(token));
        if (o.oidc && iss === o.oidc.issuer) return remember(token, await verifyOidc(token, o.oidc));
        return { ok: false, reason: 'invalid', detail: 'the token comes from an issuer this API does not trust' };
      } catch (err) {
        return failure(err);
      }
    },
  };
}
export type TokenService = ReturnType<typeof createTokenService>;
