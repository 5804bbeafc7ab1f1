import { randomUUID } from 'node:crypto';
import { PcfError } from '@pcf-edge/core';
import { canonicalJson, chainHash, contentHash } from '../audit/hash';
import { productClosure } from '@pcf-edge/pcf-engine';
import { RowsNeeded } from '@pcf-edge/pcf-engine';
import { computePeriod, type PeriodCalculation } from '@pcf-edge/pcf-engine';
import { CURRENT_ARITHMETIC, type Arithmetic } from '@pcf-edge/pcf-engine';
import { orderTimes, ordersInPeriod, type OrderSpan } from '@pcf-edge/pcf-engine';
import type { CalcOptions, EngineInput, LineWindows } from '@pcf-edge/pcf-engine';
import type { WindowSelector } from '../store/window-sums';
import { factorBounds, readAggregated, type AggregatedRead } from './aggregated-read';
import { loadSnapshot } from '../reference/snapshot';
import type { Bom, ReferenceSnapshot } from '../reference/types';
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
export function linesFor(
  snapshot: ReferenceSnapshot,
  products: string[] | 'all',
  fromMs: number,
  toMs: number,
): string[] {
  if (products === 'all') return [...snapshot.lines.keys()].sort();
  const wanted = new Set(products.flatMap((p) => productClosure(bomChildren(snapshot), p)));
  const lines = new Set<string>();
  // an indexed loop: this runs over every order for each ad-hoc calculation, and a destructuring for-of allocated an
  // iterator result per order until optimised
  const orders = orderTimes(snapshot);
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

export interface LoadSelection {
  referenceVersion?: number;
  lines?: string[];
  sites?: string[];
  cachedSnapshot?: boolean;
  /** Read whole windows as SQL sums where the store can (ad-hoc results that need no audit view of their inputs). */
  aggregate?: boolean;
  /** The arithmetic of the calculation (an audit record's own on verify). */
  arithmetic?: Arithmetic;
}

/** Loads the snapshot and the rollups a calculation of `products` needs (or the recorded lines/sites on replay). */
export async function loadEngineInput(
  repo: CloudSinkRepository,
  options: CalcOptions,
  products: string[] | 'all',
  sel: LoadSelection = {},
): Promise<LoadedInput> {
  const { lines, sites } = sel;
  const snapshot = await loadSnapshot(repo, sel.referenceVersion, sel.cachedSnapshot ?? false);
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
  const useLines = lines ?? linesFor(snapshot, products, fromMs, toMs);
  const useSites = sites ?? [...new Set(useLines.map((l) => snapshot.lines.get(l)!.data.site))].sort();
  const lineRollups = new Map<string, LineWindows>();
  const siteRollups = new Map<string, LineWindows>();
  const all: StoredRollup[] = [];
  const arithmetic = sel.arithmetic ?? CURRENT_ARITHMETIC;
  const agg = sel.aggregate && arithmetic === 2 ? repo.windowAggregates : undefined;
  const spans = agg ? ordersInPeriod(snapshot, fromMs, toMs, options.shareKey) : [];
  const bounds = agg ? factorBounds(snapshot) : [];
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
    input: { snapshot, lineRollups, siteRollups, options, arithmetic },
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

interface CachedPeriod {
  fingerprint: string;
  loaded: LoadedInput;
  calc: PeriodCalculation;
}
const periodCache = new WeakMap<CloudSinkRepository, Map<string, CachedPeriod>>();
const PERIOD_CACHE_ENTRIES = 24;
const periodKey = (version: number, options: CalcOptions) => `${version}|${canonicalJson(options)}`;

async function fingerprintFor(
  repo: CloudSinkRepository,
  options: CalcOptions,
  referenceVersion?: number,
): Promise<{ key: string; fingerprint: string; version: number } | undefined> {
  if (!repo.rollupFingerprint) return undefined;
  const snapshot = await loadSnapshot(repo, referenceVersion, true);
  const fingerprint = await repo.rollupFingerprint(
    [...snapshot.sites.keys()],
    Date.parse(options.periodStart),
    Date.parse(options.periodEnd),
  );
  return { key: periodKey(snapshot.asOfVersion, options), fingerprint, version: snapshot.asOfVersion };
}

/**
 * Precomputes a whole period (every line of every site) and keeps it for ad-hoc calculations of the same period
 * and options, valid while the reference version and the period's rollup fingerprint are unchanged. Returns the
 * calculation (callers such as the monthly recompute take every product from it).
 */
export async function precomputePeriod(repo: CloudSinkRepository, options: CalcOptions): Promise<PeriodCalculation> {
  const fp = await fingerprintFor(repo, options);
  const loaded = await loadEngineInput(repo, options, 'all', { cachedSnapshot: true });
  const calc = computePeriod(loaded.input);
  if (fp) {
    const cache = periodCache.get(repo) ?? new Map<string, CachedPeriod>();
    cache.delete(fp.key);
    cache.set(fp.key, { fingerprint: fp.fingerprint, loaded, calc });
    while (cache.size > PERIOD_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    periodCache.set(repo, cache);
  }
  return calc;
}

type Calculated = { calc: PeriodCalculation; loaded: LoadedInput; doc: ProductResultDoc };
interface CachedProduct {
  fingerprint: string;
  result: Promise<Calculated>;
}
const productCache = new WeakMap<CloudSinkRepository, Map<string, CachedProduct>>();
const PRODUCT_CACHE_ENTRIES = 256;

/**
 * What a caller of `calculateProduct` needs: `doc`, the result document (whole windows may be read as SQL sums,
 * ADR 0145); `audit`, also the audit view of the inputs (`auditBody`: every rollup read as a row).
 */
export type CalculationNeed = 'doc' | 'audit';

/**
 * Computes one product's PCF for a period (not stored). Uses a precomputed period when one is cached for the same
 * reference version, options and unchanged rollups (same numbers as a fresh calculation; its balances then list
 * every line); otherwise reads the rollups of the lines the product's BOM closure ran on. A fresh calculation is
 * kept per (reference version, options, product, need) while the period's rollup fingerprint is unchanged, and
 * concurrent identical requests share one calculation (ADR 0034, 0141).
 */
export async function calculateProduct(
  repo: CloudSinkRepository,
  product: string,
  options: CalcOptions,
  referenceVersion?: number,
  need: CalculationNeed = 'audit',
): Promise<Calculated> {
  const fp = await fingerprintFor(repo, options, referenceVersion);
  if (!fp) return calculateFresh(repo, product, options, referenceVersion, need);
  const hit = periodCache.get(repo)?.get(fp.key);
  if (hit && hit.fingerprint === fp.fingerprint)
    return { calc: hit.calc, loaded: hit.loaded, doc: productResultDoc(hit.calc, hit.calc.product(product)) };
  let cache = productCache.get(repo);
  if (!cache) productCache.set(repo, (cache = new Map()));
  const key = `${fp.key}|${product}|${need}`;
  const cached = cache.get(key);
  if (cached && cached.fingerprint === fp.fingerprint) return cached.result;
  const result = calculateFresh(repo, product, options, fp.version, need);
  cache.delete(key);
  cache.set(key, { fingerprint: fp.fingerprint, result });
  if (cache.size > PRODUCT_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  result.catch(() => {
    if (cache.get(key)?.result === result) cache.delete(key);
  });
  return result;
}

async function calculateFresh(
  repo: CloudSinkRepository,
  product: string,
  options: CalcOptions,
  referenceVersion: number | undefined,
  need: CalculationNeed,
): Promise<Calculated> {
  const load = (aggregate: boolean) =>
    loadEngineInput(repo, options, [product], { referenceVersion, cachedSnapshot: true, aggregate });
  const compute = (loaded: LoadedInput): Calculated => {
    const calc = computePeriod(loaded.input);
    return { calc, loaded, doc: productResultDoc(calc, calc.product(product)) };
  };
  if (need === 'audit') return compute(await load(false));
  const loaded = await load(true);
  try {
    return compute(loaded);
  } catch (err) {
    // a calculation error (a missing factor, a CV basis mismatch) is reported as the row path words it, naming the
    // rollup; and a gas quantity with values that are not short is summed by the row path. (Loading errors are the
    // same on both paths and are not retried.)
    if (loaded.aggregated && (err instanceof PcfError || err instanceof RowsNeeded)) return compute(await load(false));
    throw err;
  }
}

/**
 * Computes and stores one product's PCF with its hash-chained audit record. Always a fresh calculation over the
 * product's own lines, so the record lists exactly the inputs this product used.
 */
export async function calculateAndStore(
  repo: CloudSinkRepository,
  product: string,
  options: CalcOptions,
  now = Date.now(),
): Promise<{ doc: ProductResultDoc; audit: AuditRecord }> {
  const { calc, loaded } = await calculateFresh(repo, product, options, undefined, 'audit');
  const resultId = randomUUID();
  const body = auditBody(resultId, loaded, calc, product);
  const audit = await repo.appendResult(
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
