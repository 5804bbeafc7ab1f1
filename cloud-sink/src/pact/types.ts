/** Settings of the publishing company, from the server config (`pact` section). */
export interface PactCompany {
  companyName: string;
  /** URNs, e.g. urn:pathfinder:company:customcode:vendor-assigned:acme. */
  companyIds: string[];
  /** UN CPC code per product id; `defaultProductCategoryCpc` for the rest. */
  productCategoryCpc: Record<string, string>;
  defaultProductCategoryCpc: string;
}

/** A PACT v2 ProductFootprint (the fields this system writes; see cloud-sink/schemas/pact-v2). */
export interface ProductFootprint {
  id: string;
  specVersion: string;
  precedingPfIds?: string[];
  version: number;
  created: string;
  updated?: string;
  status: 'Active' | 'Deprecated';
  statusComment?: string;
  companyName: string;
  companyIds: string[];
  productDescription: string;
  productIds: string[];
  productCategoryCpc: string;
  productNameCompany: string;
  comment: string;
  pcf: Record<string, unknown> & {
    declaredUnit: string;
    unitaryProductAmount: string;
    pCfExcludingBiogenic: string;
    referencePeriodStart: string;
    referencePeriodEnd: string;
    geographyCountry?: string;
  };
}

export const PACT_SPEC_VERSION = '2.3.0';
