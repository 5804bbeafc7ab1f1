import { FilterError } from './filter';
import { validity, type ProductFootprintV3 } from './footprint-v3';

/**
 * PACT v3.0 ListFootprints filters (also the criteria of a RequestCreatedEvent): values of one criterion are OR-ed,
 * criteria AND-ed; id, geography, classification and status matches are case-insensitive. Dates are instants (ms).
 */
export interface V3Filters {
  productId?: string[];
  companyId?: string[];
  geography?: string[];
  classification?: string[];
  validOn?: number;
  validAfter?: number;
  validBefore?: number;
  status?: 'active' | 'deprecated';
}

const LISTS = ['productId', 'companyId', 'geography', 'classification'] as const;
const DATES = ['validOn', 'validAfter', 'validBefore'] as const;
const NAMES = new Map([...LISTS, ...DATES, 'status'].map((n) => [n.toLowerCase(), n]));
const MAX_VALUES = 100;

/**
 * Parses filters from query parameters or event data (names case-insensitive; `x-…` vendor parameters and the
 * names in `ignore` are skipped); anything else is a FilterError naming it.
 */
export function parseV3Filters(raw: Record<string, unknown>, ignore: readonly string[] = []): V3Filters {
  const out: V3Filters = {};
  for (const [key, value] of Object.entries(raw)) {
    const lower = key.toLowerCase();
    if (ignore.includes(lower) || lower.startsWith('x-')) continue;
    const name = NAMES.get(lower);
    if (!name) throw new FilterError(`unsupported filter '${key}' (supported: ${[...NAMES.values()].join(', ')})`);
    const values = (Array.isArray(value) ? value : [value]).map((v) => {
      if (typeof v !== 'string' || v.length === 0 || v.length > 500)
        throw new FilterError(`${name} values must be non-empty strings`);
      return v;
    });
    if (values.length > MAX_VALUES) throw new FilterError(`${name}: at most ${MAX_VALUES} values`);
    if ((LISTS as readonly string[]).includes(name)) {
      const list = (out[name as (typeof LISTS)[number]] ??= []);
      list.push(...values.map((v) => v.toLowerCase()));
    } else if ((DATES as readonly string[]).includes(name)) {
      const ms = values.length === 1 ? Date.parse(values[0]!) : NaN;
      if (Number.isNaN(ms)) throw new FilterError(`${name} must be one ISO-8601 date-time`);
      out[name as (typeof DATES)[number]] = ms;
    } else {
      const s = values.length === 1 ? values[0]!.toLowerCase() : '';
      if (s !== 'active' && s !== 'deprecated') throw new FilterError("status must be 'Active' or 'Deprecated'");
      out.status = s;
    }
  }
  return out;
}

const anyOf = (wanted: string[] | undefined, have: readonly (string | undefined)[]) =>
  wanted === undefined || have.some((h) => h !== undefined && wanted.includes(h.toLowerCase()));

export function matchesV3(f: ProductFootprintV3, q: V3Filters): boolean {
  const v = validity(f);
  return (
    anyOf(q.productId, f.productIds) &&
    anyOf(q.companyId, f.companyIds) &&
    anyOf(q.classification, f.productClassifications) &&
    anyOf(q.geography, [f.pcf.geographyCountry, f.pcf.geographyRegionOrSubregion as string | undefined]) &&
    (q.validOn === undefined || (v.startMs <= q.validOn && q.validOn <= v.endMs)) &&
    (q.validAfter === undefined || v.startMs > q.validAfter) &&
    (q.validBefore === undefined || v.endMs < q.validBefore) &&
    (q.status === undefined || f.status.toLowerCase() === q.status)
  );
}
