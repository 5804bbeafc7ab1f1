import { createHash } from 'node:crypto';

/** JSON with object keys sorted recursively: the form every hash in cloud-sink is taken over. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function contentHash(value: unknown): string {
  return sha256(canonicalJson(value));
}

/** Audit chain link: SHA-256 over the previous record's hash and this record's canonical body. */
export function chainHash(body: string, prevHash: string): string {
  return sha256(`${prevHash}\n${body}`);
}
