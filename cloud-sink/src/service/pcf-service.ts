import { randomUUID } from 'node:crypto';
import { PcfError } from '@pcf-edge/core';
import { canonicalJson, chainHash, contentHash } from '../audit/hash';
import { productClosure } from '@pcf-edge/pcf-engine';
import { RowsNeeded } from '@pcf-edge/pcf-engine';
import { computePeriod, type PeriodCalculation } from '@pcf-edge/pcf-engine';
import { CURRENT_ARITHMETIC, type Arithmetic } from '@pcf-edge/pcf-engine';
import { ReferenceIndex, type OrderSpan, type ReferenceSnapshot } from '@pcf-edge/pcf-engine';
import type { CalcOptions, EngineInput, LineWindows } from '@pcf-edge/pcf-engine';
import type { WindowSelector } from '../store/window-sums';
import { readAggregated, type AggregatedRead } from './aggregated-read';
import { loadSnapshot } from '../reference/snapshot';
import type { Bom } from '../reference/types';
import type { AuditRecord, CloudSinkRepository, StoredRollup } from '../store/repository';
import { productResultDoc, type ProductResultDoc } from './result-doc';

/** What an audit record stores; enough to load the same inputs again and recompute. */
export interface AuditBody {
  schema: 'pcf-edge.audit/1';
  resultId: string;
  subject: { kind: 'product'; id: string };
  options: CalcOptions;
  /** How the engine formed its sums (ADR 0145); records written before the field existed used 1. */
  arithmetic?: Arithmetic;
  inputs: {
    referenceVersion: number;
    gwpSet: string;
    entities: { kind: string; id: string; version: number; hash: string }[];
    lines: string[];
    sites: string[];
    rollups: { id: string; revision: number }[];
    rollupsHash: string;
  };
  derivation: unknown;
  result: ProductResultDoc;
}

const bomChildren = (s: ReferenceSnapshot) => (p: string) =>
  ((s.boms.get(p)?.data as Bom | undefined)?.lines ?? [])
    .filter((l) => l.componentKind === 'product')
    .map((l) => l.component);

/** Lines whose rollups a calculation of `products` needs: the lines of every order of every product in their BOM closure. */
export function linesFor(index: ReferenceIndex, products: string[] | 'all', fromMs: number, toMs: number): string[] {
  const snapshot = index.snapshot;
  if (products === 'all') return [...snapshot.lines.keys()].sort();
  const wanted = new Set(products.flatMap((p) => productClosure(bomChildren(snapshot), p)));
  const lines = new Set<string>();
  // an indexed loop: this runs over every order for each ad-hoc calculation, and a destructuring for-of allocated an
  // iterator result per order until optimised
  const orders = index.orderTimes();
  for (let i = 0; i < orders.length; i++) {
    const o = orders[i]!;
    if (o.s < toMs && o.en > fromMs && wanted.has(o.e.data.product)) lines.add(o.e.data.line);
  }
  return [...lines].sort();
}

/**
 * The engine input of a calculation and what was read for it. `aggregated`: some windows were read as sums (ADR 0145),
 * so `rollups` lists only the windows read as rows and there is no audit view of the inputs.
 */
export interface LoadedInput {
  input: EngineInput;
  lines: string[];
  sites: string[];
  rollups: StoredRollup[];
  aggregated: boolean;
}

/** A reference snapshot with what calculations derive from it alone. */
export interface Reference {
  snapshot: ReferenceSnapshot;
  index: ReferenceIndex;
}

/** Reads the reference data as of `version` (default: the latest) from the store, with a fresh index. */
export async function readReference(repo: CloudSinkRepository, version?: number): Promise<Reference> {
  const snapshot = await loadSnapshot(repo, version);
  return { snapshot, index: new ReferenceIndex(snapshot) };
}

export interface LoadSelection {
  lines?: string[];
  sites?: string[];
  /** Read whole windows as SQL sums where the store can (ad-hoc results that need no audit view of their inputs). */
  aggregate?: boolean;
  /** The arithmetic of the calculation (an audit record's own on verify). */
  arithmetic?: Arithmetic;
}

/** Loads the rollups a calculation of `products` needs under `reference` (or the recorded lines/sites on replay). */
export async function loadEngineInput(
  repo: CloudSinkRepository,
  reference: Reference,
  options: CalcOptions,
  products: string[] | 'all',
  sel: LoadSelection = {},
): Promise<LoadedInput> {
  const { lines, sites } = sel;
  const { snapshot, index } = reference;
  const fromMs = Date.parse(options.periodStart),
    toMs = Date.parse(options.periodEnd);
  if (!(fromMs < toMs))
    throw new PcfError('ERR_USAGE', `period ${options.periodStart} – ${options.periodEnd} is empty or invalid`);
  for (const p of products === 'all' ? [] : products) {
    if (!snapshot.products.has(p))
      throw new PcfError('ERR_NOT_FOUND', `product '${p}' does not exist (reference version ${snapshot.asOfVersion})`, {
        product: p,
      });
  }
  const useLines = lines ?? linesFor(index, products, fromMs, toMs);
  const useSites = sites ?? [...new Set(useLines.map((l) => snapshot.lines.get(l)!.data.site))].sort();
  const lineRollups = new Map<string, LineWindows>();
  const siteRollups = new Map<string, LineWindows>();
  const all: StoredRollup[] = [];
  const arithmetic = sel.arithmetic ?? CURRENT_ARITHMETIC;
  const agg = sel.aggregate && arithmetic === 2 ? repo.windowAggregates : undefined;
  const spans = agg ? index.periodOrders(fromMs, toMs, options.shareKey).spans : [];
  const bounds = agg ? index.factorBounds() : [];
  const viaSums = async (q: WindowSelector, lineSpans: readonly OrderSpan[]): Promise<AggregatedRead | undefined> => {
    if (!agg) return undefined;
    // a store error here (e.g. an integer overflow of a very long period's sum) leaves the decision to the rows
    const read = await readAggregated(agg, q, options.windowMs, fromMs, toMs, lineSpans, bounds).catch(() => undefined);
    for (const x of read?.windows.items ?? []) if (!('group' in x)) all.push(x);
    return read;
  };
  for (const line of useLines) {
    const read = await viaSums(
      { type: 'line', line },
      spans.filter((o) => o.line === line),
    );
    if (read) {
      lineRollups.set(line, read.windows);
      continue;
    }
    const rows = await repo.queryRollups({ type: 'line', line, fromMs, toMs });
    lineRollups.set(line, rows);
    all.push(...rows);
  }
  for (const site of useSites) {
    const read = await viaSums({ type: 'site', site }, []);
    if (read) {
      if (read.anyRollup) siteRollups.set(site, read.windows);
      continue;
    }
    const rows = await repo.queryRollups({ type: 'site', site, fromMs, toMs });
    if (rows.length > 0) siteRollups.set(site, rows);
    all.push(...rows);
  }
  const aggregated = [...lineRollups.values(), ...siteRollups.values()].some((w) => !Array.isArray(w));
  return {
    input: { snapshot, index, lineRollups, siteRollups, options, arithmetic },
    lines: useLines,
    sites: useSites,
    rollups: all,
    aggregated,
  };
}

export function auditBody(resultId: string, loaded: LoadedInput, calc: PeriodCalculation, product: string): AuditBody {
  if (loaded.aggregated)
    throw new Error('internal: an audit view needs every rollup read as a row (load without `aggregate`)');
  const r = calc.product(product);
  const entities = [...calc.usedEntities()]
    .map(([key, e]) => ({
      kind: key.slice(0, key.indexOf(':')),
      id: e.entityId,
      version: e.version,
      hash: contentHash(e.data),
    }))
    .sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1));
  return {
    schema: 'pcf-edge.audit/1',
    resultId,
    subject: { kind: 'product', id: product },
    options: calc.input.options,
    arithmetic: calc.input.arithmetic ?? CURRENT_ARITHMETIC,
    inputs: {
      referenceVersion: calc.input.snapshot.asOfVersion,
      gwpSet: calc.input.options.gwpSet,
      entities,
      lines: loaded.lines,
      sites: loaded.sites,
      rollups: loaded.rollups.map((x) => ({ id: x.id, revision: x.revision })),
      rollupsHash: contentHash(loaded.rollups),
    },
    derivation: r.trace(),
    result: productResultDoc(calc, r),
  };
}

/**
 * A product calculation. `views` holds serialised views of it by product (e.g. the API's ad-hoc response): the
 * calculation is immutable, so a view never changes, and it lives as long as the kept calculation.
 */
export interface Calculated {
  calc: PeriodCalculation;
  loaded: LoadedInput;
  doc: ProductResultDoc;
  views: Map<string, string>;
}

/**
 * What a caller of `calculateProduct` needs: `doc`, the result document (whole windows may be read as SQL sums,
 * ADR 0145); `audit`, also the audit view of the inputs (`auditBody`: every rollup read as a row).
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
 * - **Reference snapshots and their indexes, by version.** A reference version is insert-only, so an entry is never
 *   stale; the latest version number is read from the store on every call, so an import is used at once. At most
 *   `versions` (default 4) are kept.
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
    const { calc, loaded } = await this.calculateFresh(product, options, undefined, 'audit');
    const resultId = randomUUID();
    const body = auditBody(resultId, loaded, calc, product);
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
    const load = (aggregate: boolean) => this.load(options, [product], { referenceVersion, aggregate });
    const compute = (loaded: LoadedInput): Calculated => {
      const calc = computePeriod(loaded.input);
      return { calc, loaded, doc: productResultDoc(calc, calc.product(product)), views: new Map() };
    };
    if (need === 'audit') return compute(await load(false));
    const loaded = await load(true);
    try {
      return compute(loaded);
    } catch (err) {
      // a calculation error (a missing factor, a CV basis mismatch) is reported as the row path words it, naming the
      // rollup; and a gas quantity with values that are not short is summed by the row path. (Loading errors are the
      // same on both paths and are not retried.)
      if (loaded.aggregated && (err instanceof PcfError || err instanceof RowsNeeded))
        return compute(await load(false));
      throw err;
    }
  }
}

interface CachedPeriod {
  fingerprint: string;
  loaded: LoadedInput;
  calc: PeriodCalculation;
  views: Map<string, string>;
}
interface CachedProduct {
  fingerprint: string;
  result: Promise<Calculated>;
}

/** Drops the oldest entries (first inserted) of `map` beyond `max`. */
function keepAtMost(map: Map<unknown, unknown>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value);
}
