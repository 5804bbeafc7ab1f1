import { randomUUID } from 'node:crypto';
import { computePeriod, type CalcOptions, type PeriodCalculation } from '@pcf-edge/pcf-engine';
import { canonicalJson, chainHash } from '../audit/hash';
import type { AuditRecord, CloudSinkRepository } from '../store/repository';
import { auditBody, documentHashes } from './audit-body';
import { loadEngineInput, readReference, type LoadedInput, type LoadSelection, type Reference } from './engine-input';
import { productResultDoc, type ProductResultDoc } from './result-doc';

export { auditBody, auditInputs, documentHashes, type AuditBody } from './audit-body';
export {
  linesFor,
  loadEngineInput,
  readReference,
  type LoadedInput,
  type LoadSelection,
  type Reference,
} from './engine-input';

/**
 * A product calculation. `views` holds serialised views of it (UTF-8) by product and form (e.g. the API's ad-hoc
 * response): the calculation is immutable, so a view never changes, and it lives as long as the kept calculation.
 */
export interface Calculated {
  calc: PeriodCalculation;
  loaded: LoadedInput;
  doc: ProductResultDoc;
  views: Map<string, Buffer>;
}

/**
 * What a caller of `calculateProduct` needs: `doc`, the result document; `audit`, also the audit view of the inputs
 * (`auditBody`: the rollups read are listed too). The numbers are the same either way.
 */
export type CalculationNeed = 'doc' | 'audit';

/** How much a `PcfService` keeps (entries, oldest dropped first). */
export interface PcfServiceLimits {
  /** Reference snapshots (with their indexes), by version. */
  versions?: number;
  /** Precomputed periods. */
  periods?: number;
  /** Fresh product calculations. */
  products?: number;
}

/**
 * The PCF calculations of one process over one repository: create it once (per process, per store) and hand it to
 * whatever calculates — the API server, the CLI, the local stack. It owns every cache the calculations use; the
 * engine keeps none. What is kept, and when it is dropped:
 *
 * - **Reference snapshots, by version, with their indexes and the SHA-256 of each entity an audit body or view has
 *   named** (`Reference.entityHashes`). A reference version is insert-only, so an entry is never stale; the latest
 *   version number is read from the store on every call, so an import is used at once. At most `versions` (default
 *   4) are kept; the hashes go with their snapshot.
 * - **Precomputed periods** (`precomputePeriod`), by reference version and options, served to `calculateProduct`
 *   while the period's rollup fingerprint (count, revision sum and latest receipt of its sites' rollups; read on
 *   every call) is unchanged; at most `periods` (24). Without `rollupFingerprint` in the store nothing is kept.
 * - **Fresh product calculations**, by reference version, options, product and need, on the same fingerprint rule;
 *   at most `products` (256). Concurrent identical requests share one calculation; a failed one is dropped.
 * - `clear()` drops everything, e.g. when the store was replaced underneath (restored from a backup).
 *
 * Stored results (`calculateAndStore`) always compute afresh (their audit record lists exactly their inputs), and
 * audit verification reads nothing through a service.
 */
export class PcfService {
  private readonly references = new Map<number, Promise<Reference>>();
  private readonly periods = new Map<string, CachedPeriod>();
  private readonly products = new Map<string, CachedProduct>();
  private readonly limits: Required<PcfServiceLimits>;

  constructor(
    readonly repo: CloudSinkRepository,
    limits: PcfServiceLimits = {},
  ) {
    this.limits = { versions: 4, periods: 24, products: 256, ...limits };
  }

  /** The reference data as of `version` (default: the latest), kept by version. */
  async reference(version?: number): Promise<Reference> {
    const v = version ?? (await this.repo.latestReferenceVersion());
    let hit = this.references.get(v);
    if (!hit) {
      hit = readReference(this.repo, v);
      this.references.set(v, hit);
      hit.catch(() => this.references.delete(v));
      keepAtMost(this.references, this.limits.versions);
    }
    return hit;
  }

  /** `loadEngineInput` under the kept reference data. */
  async load(
    options: CalcOptions,
    products: string[] | 'all',
    sel: LoadSelection & { referenceVersion?: number } = {},
  ): Promise<LoadedInput> {
    return loadEngineInput(this.repo, await this.reference(sel.referenceVersion), options, products, sel);
  }

  /**
   * Computes a whole period (every line of every site) and keeps it for `calculateProduct` of the same period and
   * options (see the class comment). Returns the calculation (the monthly recompute takes every product from it).
   */
  async precomputePeriod(options: CalcOptions): Promise<PeriodCalculation> {
    const fp = await this.fingerprintFor(options);
    const loaded = await this.load(options, 'all', fp ? { referenceVersion: fp.version } : {});
    const calc = computePeriod(loaded.input);
    if (fp) {
      this.periods.delete(fp.key);
      this.periods.set(fp.key, { fingerprint: fp.fingerprint, loaded, calc, views: new Map() });
      keepAtMost(this.periods, this.limits.periods);
    }
    return calc;
  }

  /**
   * One product's PCF for a period (not stored): from a kept precomputed period when its inputs are unchanged (same
   * numbers as a fresh calculation; its balances then list every line), else from a kept or fresh calculation over
   * the lines the product's BOM closure ran on (ADR 0034, 0141).
   */
  async calculateProduct(
    product: string,
    options: CalcOptions,
    referenceVersion?: number,
    need: CalculationNeed = 'audit',
  ): Promise<Calculated> {
    const fp = await this.fingerprintFor(options, referenceVersion);
    if (!fp) return this.calculateFresh(product, options, referenceVersion, need);
    const hit = this.periods.get(fp.key);
    if (hit && hit.fingerprint === fp.fingerprint)
      return {
        calc: hit.calc,
        loaded: hit.loaded,
        doc: productResultDoc(hit.calc, hit.calc.product(product)),
        views: hit.views,
      };
    const key = `${fp.key}|${product}|${need}`;
    const cached = this.products.get(key);
    if (cached && cached.fingerprint === fp.fingerprint) return cached.result;
    const result = this.calculateFresh(product, options, fp.version, need);
    this.products.delete(key);
    this.products.set(key, { fingerprint: fp.fingerprint, result });
    keepAtMost(this.products, this.limits.products);
    result.catch(() => {
      if (this.products.get(key)?.result === result) this.products.delete(key);
    });
    return result;
  }

  /**
   * Computes and stores one product's PCF with its hash-chained audit record. Always a fresh calculation over the
   * product's own lines, so the record lists exactly the inputs this product used.
   */
  async calculateAndStore(
    product: string,
    options: CalcOptions,
    now = Date.now(),
  ): Promise<{ doc: ProductResultDoc; audit: AuditRecord }> {
    return this.store(product, options, await this.calculateFresh(product, options, undefined, 'audit'), now);
  }

  /**
   * Stores a calculation made by `calculateProduct(…, 'audit')` or `calculateAndStore`'s own, with its hash-chained
   * audit record. `calculated` must come from a fresh calculation over the product's own lines (need 'audit'), so
   * the record lists exactly the inputs this product used.
   */
  async store(
    product: string,
    options: CalcOptions,
    calculated: Pick<Calculated, 'calc' | 'loaded'>,
    now = Date.now(),
  ): Promise<{ doc: ProductResultDoc; audit: AuditRecord }> {
    const { calc, loaded } = calculated;
    const resultId = randomUUID();
    const body = auditBody(resultId, loaded, calc, product, await documentHashes(this.repo, loaded));
    const audit = await this.repo.appendResult(
      {
        id: resultId,
        kind: 'product',
        subject: product,
        periodStart: options.periodStart,
        periodEnd: options.periodEnd,
        method: options.method,
        gwpSet: options.gwpSet,
        result: body.result,
        createdAtMs: now,
      },
      canonicalJson(body),
      chainHash,
    );
    return { doc: body.result, audit };
  }

  /** A fresh calculation over the product's own lines, listing the rollups read (what `store` needs). */
  calculateForStore(product: string, options: CalcOptions): Promise<Calculated> {
    return this.calculateFresh(product, options, undefined, 'audit');
  }

  /** Drops every kept snapshot, period and calculation. */
  clear(): void {
    this.references.clear();
    this.periods.clear();
    this.products.clear();
  }

  private async fingerprintFor(
    options: CalcOptions,
    referenceVersion?: number,
  ): Promise<{ key: string; fingerprint: string; version: number } | undefined> {
    if (!this.repo.rollupFingerprint) return undefined;
    const { snapshot } = await this.reference(referenceVersion);
    const fingerprint = await this.repo.rollupFingerprint(
      [...snapshot.sites.keys()],
      Date.parse(options.periodStart),
      Date.parse(options.periodEnd),
    );
    return { key: `${snapshot.asOfVersion}|${canonicalJson(options)}`, fingerprint, version: snapshot.asOfVersion };
  }

  private async calculateFresh(
    product: string,
    options: CalcOptions,
    referenceVersion: number | undefined,
    need: CalculationNeed,
  ): Promise<Calculated> {
    const loaded = await this.load(options, [product], { referenceVersion, list: need === 'audit' });
    const calc = computePeriod(loaded.input);
    return { calc, loaded, doc: productResultDoc(calc, calc.product(product)), views: new Map() };
  }
}

interface CachedPeriod {
  fingerprint: string;
  loaded: LoadedInput;
  calc: PeriodCalculation;
  views: Map<string, Buffer>;
}
interface CachedProduct {
  fingerprint: string;
  result: Promise<Calculated>;
}

/** Drops the oldest entries (first inserted) of `map` beyond `max`. */
function keepAtMost(map: Map<unknown, unknown>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value);
}
