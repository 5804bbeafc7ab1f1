import { PcfError } from '@pcf-edge/core';
import { apiConfig, type ApiConfig } from '../api/config';
import { parseSigningKeys, type StoredKey } from '../api/signing-keys';
import { readSecretJson, type SecretsClient } from './secrets';

/**
 * The API settings secret (created by the stack, clients added by the account owner):
 * `{ "api": <API config, docs/adr/0081>, "originVerify": "<random>", "signingKeys": <JWK Set, ADR 0191> }`. `originVerify` is the value CloudFront
 * sends in the `x-pcf-edge-origin-verify` header, so requests that bypass CloudFront and its WAF are refused.
 */
export interface ApiSettings {
  api: Readonly<ApiConfig>;
  originVerify?: string;
  /** The token-signing keys every API instance shares (JWK Set, docs/adr/0191). */
  signingKeys: StoredKey[];
}

export const ORIGIN_VERIFY_HEADER = 'x-pcf-edge-origin-verify';

/**
 * Reads and validates the settings secret named by PCF_EDGE_API_SETTINGS_SECRET_ARN. `api.publicBaseUrl` defaults to
 * PCF_EDGE_PUBLIC_BASE_URL: behind CloudFront the Host header is the execute-api name, so URLs the API advertises
 * (discovery, Link) must come from configuration.
 */
export async function readApiSettings(secrets: SecretsClient, env: NodeJS.ProcessEnv): Promise<ApiSettings> {
  const arn = env.PCF_EDGE_API_SETTINGS_SECRET_ARN ?? '';
  if (arn === '')
    throw new PcfError(
      'ERR_CONFIG_INVALID',
      'invalid Lambda environment: PCF_EDGE_API_SETTINGS_SECRET_ARN is required',
    );
  const data = await readSecretJson(secrets, arn);
  const { api, originVerify, signingKeys } = data;
  // `npm run cloud-sink -- keys init --signing-keys <file>` makes a set to paste into the secret
  if (signingKeys === undefined)
    throw new PcfError('ERR_CONFIG_INVALID', `API settings secret ${arn}: signingKeys (a JWK Set) is required`);
  const keys = parseSigningKeys(signingKeys, `API settings secret ${arn} (field signingKeys)`);
  if (originVerify !== undefined && (typeof originVerify !== 'string' || originVerify.length < 16))
    throw new PcfError(
      'ERR_SECRET',
      `API settings secret ${arn}: originVerify must be a string of 16 or more characters`,
    );
  // the stack knows the public URL when a domain is configured; otherwise the account owner sets api.publicBaseUrl
  const base = env.PCF_EDGE_PUBLIC_BASE_URL;
  const withBase =
    api && typeof api === 'object' && base && !('publicBaseUrl' in api) ? { ...api, publicBaseUrl: base } : api;
  const withOidc = withOidcFromEnv(withBase, env);
  // validation errors name paths and rules (ajv), never values
  const config = apiConfig(withOidc ?? { clients: [] }, `API settings secret ${arn} (field api)`);
  return { api: config, signingKeys: keys, ...(originVerify ? { originVerify } : {}) };
}

/**
 * An external OpenID Connect issuer for people (ADR 0191) from PCF_EDGE_OIDC_ISSUER, PCF_EDGE_OIDC_AUDIENCE (for
 * Cognito: the app client id) and PCF_EDGE_OIDC_SCOPE_PREFIX (Cognito: `<resource server>/`), unless the secret's
 * `api.oidc` names one; PCF_EDGE_OIDC_GROUPS_CLAIM (Cognito: `cognito:groups`) lets groups grant operator scopes.
 * The issuer without an audience is a configuration error (the API would accept any client of the issuer).
 */
function withOidcFromEnv(api: unknown, env: NodeJS.ProcessEnv): unknown {
  const issuer = env.PCF_EDGE_OIDC_ISSUER;
  if (!issuer || !api || typeof api !== 'object' || 'oidc' in api) return api;
  const audience = env.PCF_EDGE_OIDC_AUDIENCE ?? '';
  if (audience === '')
    throw new PcfError(
      'ERR_CONFIG_INVALID',
      'invalid Lambda environment: PCF_EDGE_OIDC_AUDIENCE is required with PCF_EDGE_OIDC_ISSUER',
    );
  const scopePrefix = env.PCF_EDGE_OIDC_SCOPE_PREFIX ?? '';
  const groupsClaim = env.PCF_EDGE_OIDC_GROUPS_CLAIM;
  return { ...api, oidc: { issuer, audience, scopePrefix, ...(groupsClaim ? { groupsClaim } : {}) } };
}
