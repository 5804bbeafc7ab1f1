import { readDataFile, validateConfig } from '@pcf-edge/core';
import type { PactCompany } from '../pact/types';

/**
 * `pact`: the PACT Data Exchange API (footprints granted to the client, events); `ops:read`: operational reads
 * (products, orders, energy, results, audit, ad-hoc calculation); `ops:write`: reference upload and stored
 * calculations; `admin`: clients, grants and gateway keys.
 */
export const SCOPES = ['pact', 'ops:read', 'ops:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiClient {
  clientId: string;
  /** `scrypt$N$r$p$salt$hash` as made by `hashSecret` (secrets.ts); the secret itself is never stored. */
  secretHash: string;
  scopes: Scope[];
}

/** An external OpenID Connect issuer whose access tokens the API accepts (e.g. Amazon Cognito for the dashboard). */
export interface OidcIssuer {
  /** `iss` of its tokens; discovery at `<issuer>/.well-known/openid-configuration` names the JWKS. */
  issuer: string;
  /** Accepted when `aud` contains it, or (Cognito access tokens carry no `aud`) when `client_id` equals it. */
  audience: string;
  /** Prefix stripped from its scopes (Cognito resource-server scopes are `<identifier>/<scope>`). */
  scopePrefix: string;
  /**
   * Claim listing a person's groups (Cognito: `cognito:groups`); a group named `ops:read`, `ops:write` or `admin`
   * grants that scope (never `pact`), and a token carrying the claim speaks for the person `sub` (ADR 0197).
   */
  groupsClaim?: string;
  /** The dashboard's public client at the issuer (authorization code + PKCE); default: `audience` (Cognito). */
  dashboardClientId?: string;
}

export interface ApiConfig {
  /** Clients written into the database at every start (secret hash and scopes); more are managed by admin. */
  clients: ApiClient[];
  /** Access-token lifetime, at most one hour: a disabled client's tokens stop working within it. */
  tokenTtlSec: number;
  /** `aud` of the tokens this API issues. */
  audience: string;
  /** JWK Set of the token-signing keys (private, mode 0600), shared by every instance; created when missing. */
  signingKeysFile: string;
  oidc?: OidcIssuer;
  /** Largest request body on every route but the reference upload (bytes). */
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  /**
   * Requests per `windowMs` and worker process: per client id on every authenticated route, per client address for
   * requests without a valid token, and per address on the token endpoint (secret checks cost ~50 ms of CPU).
   */
  rateLimit: { perClient: number; anonymous: number; token: number; windowMs: number };
  /** Node http server timeouts (ms): whole request, headers, idle keep-alive. */
  timeouts: { requestMs: number; headersMs: number; keepAliveMs: number };
  /** Longest period of an ad-hoc calculation (days). */
  adHocMaxDays: number;
  /**
   * Base of every absolute URL the API advertises (`Link`, discovery, event `source`, token `iss`); never taken
   * from the request. Default: the listening address (serve sets it).
   */
  publicBaseUrl?: string;
  /** PACT event delivery: attempts back off from `initialBackoffMs`, doubling up to `maxBackoffMs`, for at most `giveUpAfterMs`. */
  events: { initialBackoffMs: number; maxBackoffMs: number; giveUpAfterMs: number; pollIntervalMs: number };
  pact: PactCompany;
}

const scopes = { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SCOPES] } };
const int = (minimum: number, def: number, maximum?: number) => ({
  type: 'integer',
  minimum,
  ...(maximum !== undefined ? { maximum } : {}),
  default: def,
});
const group = (properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  default: {},
  properties,
});

export const API_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    clients: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['clientId', 'secretHash', 'scopes'],
        properties: {
          clientId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
          secretHash: { type: 'string', pattern: '^scrypt\\$\\d+\\$\\d+\\$\\d+\\$[A-Za-z0-9_-]+\\$[A-Za-z0-9_-]+$' },
          scopes,
        },
      },
    },
    tokenTtlSec: int(60, 900, 3600),
    audience: { type: 'string', minLength: 1, default: 'pcf-edge-api' },
    signingKeysFile: { type: 'string', minLength: 1, default: '.pcf-edge/api-signing-keys.json' },
    oidc: {
      type: 'object',
      additionalProperties: false,
      required: ['issuer', 'audience'],
      properties: {
        issuer: { type: 'string', pattern: '^https?://[^\\s]+$' },
        audience: { type: 'string', minLength: 1 },
        scopePrefix: { type: 'string', default: '' },
        groupsClaim: { type: 'string', minLength: 1 },
        dashboardClientId: { type: 'string', minLength: 1 },
      },
    },
    bodyLimitBytes: int(1024, 1_048_576),
    uploadLimitBytes: int(1024, 10_485_760),
    rateLimit: group({
      perClient: int(1, 600),
      anonymous: int(1, 60),
      token: int(1, 30),
      windowMs: int(1000, 60_000),
    }),
    timeouts: group({ requestMs: int(1000, 30_000), headersMs: int(1000, 10_000), keepAliveMs: int(1000, 72_000) }),
    adHocMaxDays: int(1, 31, 366),
    publicBaseUrl: { type: 'string', pattern: '^https?://[^/\\s]+(/[^\\s]*[^/\\s])?$' },
    events: group({
      initialBackoffMs: int(100, 5_000),
      maxBackoffMs: int(100, 3_600_000),
      giveUpAfterMs: int(1000, 3 * 86_400_000, 3 * 86_400_000),
      pollIntervalMs: int(10, 1_000),
    }),
    pact: group({
      companyName: { type: 'string', minLength: 1, default: 'pcf-edge demo company' },
      companyIds: {
        type: 'array',
        minItems: 1,
        items: { type: 'string', pattern: '^urn:' },
        default: ['urn:pcf-edge:company:demo'],
      },
      productCategoryCpc: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, default: {} },
      defaultProductCategoryCpc: { type: 'string', minLength: 1, default: '4000' },
    }),
  },
};

/** Validates a config object (defaults applied, frozen); ERR_CONFIG_INVALID lists every problem. */
export function apiConfig(data: unknown, source = 'api config'): Readonly<ApiConfig> {
  return validateConfig<ApiConfig>(data, API_CONFIG_SCHEMA, source, (c) => {
    const ids = c.clients.map((x) => x.clientId);
    const problems = ids.filter((id, i) => ids.indexOf(id) !== i).map((id) => `/clients: duplicate clientId '${id}'`);
    if (c.events.maxBackoffMs < c.events.initialBackoffMs)
      problems.push('/events/maxBackoffMs: must be ≥ initialBackoffMs');
    return problems;
  });
}

export function loadApiConfig(file: string): Readonly<ApiConfig> {
  return apiConfig(readDataFile(file), file);
}
