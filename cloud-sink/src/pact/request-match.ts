import type { StoredFootprint } from '../store/repository';
import type { RequestMatcher } from './event-service';
import { FilterError } from './filter';
import { matchesV3, parseV3Filters } from './filter-v3';
import type { ProductFootprintV3 } from './footprint-v3';
import type { ProductFootprint } from './types';

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;

/**
 * PACT v2 §8.8.4.1: the `pf` fragment of a RequestCreated event as criteria. Honoured: productIds and companyIds
 * (any in common), productCategoryCpc and pcf.geographyCountry (equal); other properties are ignored, as the
 * specification allows. A fragment with no product or company id names nothing to answer with: a string reason.
 */
export function v2RequestMatcher(pf: Record<string, unknown>): RequestMatcher | string {
  const productIds = strings(pf.productIds);
  const companyIds = strings(pf.companyIds);
  if (!productIds?.length && !companyIds?.length) return 'the request names no productIds or companyIds';
  const cpc = typeof pf.productCategoryCpc === 'string' ? pf.productCategoryCpc : undefined;
  const country = (pf.pcf as { geographyCountry?: unknown } | undefined)?.geographyCountry;
  return (f: StoredFootprint) => {
    const d = f.doc as ProductFootprint;
    return (
      (!productIds?.length || d.productIds.some((id) => productIds.includes(id))) &&
      (!companyIds?.length || d.companyIds.some((id) => companyIds.includes(id))) &&
      (cpc === undefined || d.productCategoryCpc === cpc) &&
      (typeof country !== 'string' || d.pcf.geographyCountry === country)
    );
  };
}

/** PACT v3.0 RequestCreatedEvent: its data carries the ListFootprints filters (and an optional comment). */
export function v3RequestMatcher(
  data: Record<string, unknown>,
  view: (f: StoredFootprint) => Promise<ProductFootprintV3 | undefined>,
): RequestMatcher | string {
  let filters;
  try {
    filters = parseV3Filters(data, ['comment']);
  } catch (err) {
    if (err instanceof FilterError) return err.message;
    throw err;
  }
  if (Object.keys(filters).length === 0) return 'the request names no criteria';
  return async (f: StoredFootprint) => {
    const v = await view(f);
    return v !== undefined && matchesV3(v, filters);
  };
}
