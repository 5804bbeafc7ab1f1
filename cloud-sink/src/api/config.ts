import { readDataFile, validateConfig } from '@pcf-edge/core';
import type { PactCompany } from '../pact/types';

export const SCOPES = ['read', 'upload'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiClient {
  clientId: string;
  /** `scrypt$N$r$p$salt$hash` as made by `hashSecret` (secrets.ts); the secret itself is never stored. */
  secretHash: string;
  scopes: Scope[];
}

export interface ApiConfig {
  clients: ApiClient[];
  tokenTtlSec: number;
  /** Largest request body on every route but the reference upload (bytes). */
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  /** Token endpoint: at most `max` requests per client address per `windowMs`. */
  tokenRateLimit: { max: number; windowMs: number };
  /** Base of the absolute URLs in `Link` headers and discovery; default: from the request's Host. */
  publicBaseUrl?: string;
  pact: PactCompany;
}

const scopes = { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SCOPES] } };

export const API_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['clients'],
  properties: {
    clients: {
      type: 'array',
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
    tokenTtlSec: { type: 'integer', minimum: 1, maximum: 86400, default: 3600 },
    bodyLimitBytes: { type: 'integer', minimum: 1024, default: 1_048_576 },
    uploadLimitBytes: { type: 'integer', minimum: 1024, default: 10_485_760 },
    tokenRateLimit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        max: { type: 'integer', minimum: 1, default: 30 },
        windowMs: { type: 'integer', minimum: 1000, default: 60_000 },
      },
    },
    publicBaseUrl: { type: 'string', pattern: '^https?://[^/]+$' },
    pact: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        companyName: { type: 'string', minLength: 1, default: 'pcf-edge demo company' },
        companyIds: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', pattern: '^urn:' },
          default: ['urn:pcf-edge:company:demo'],
        },
        productCategoryCpc: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, default: {} },
        defaultProductCategoryCpc: { type: 'string', minLength: 1, default: '4000' },
      },
    },
  },
};

/** Validates a config object (defaults applied, frozen); ERR_CONFIG_INVALID lists every problem. */
export function apiConfig(data: unknown, source = 'api config'): Readonly<ApiConfig> {
  return validateConfig<ApiConfig>(data, API_CONFIG_SCHEMA, source, (c) => {
    const ids = c.clients.map((x) => x.clientId);
    return ids.filter((id, i) => ids.indexOf(id) !== i).map((id) => `/clients: duplicate clientId '${id}'`);
  });
}

export function loadApiConfig(file: string): Readonly<ApiConfig> {
  return apiConfig(readDataFile(file), file);
}
