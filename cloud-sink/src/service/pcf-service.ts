import { randomUUID } from 'node:crypto';
import { PcfError } from '@pcf-edge/core';
import { canonicalJson, chainHash, contentHash } from '../audit/hash';
import { productClosure } from '../engine/bom';
import { computePeriod, type PeriodCalculation } from '../engine/calculate';
import { orderTimes } from '../engine/orders';
import type { CalcOptions, EngineInput } from '../engine/types';
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
  ((s.boms.get(p)?.data as Bom | undefined)?.lines ?? []).filter((l) => l.componentKind === 'product').map((l) => l.component);

/** Lines whose rollups a calculation of `products` needs: the lines of every order of every product in their BOM closure. */
export function linesFor(snapshot: ReferenceSnapshot, products: string[] | 'all', fromMs: number, toMs: number): string[] {
  if (products === 'all') return [...snapshot.lines.keys()].sort();
  const wanted = new Set(products.flatMap((p) => productClosure(bomChildren(snapshot), p)));
  const lines = new Set<string>();
  for (const { e, s, en } of orderTimes(snapshot)) {
    if (wanted.has(e.data.product) && s < toMs && en > fromMs) lines.add(e.data.line);
  }
  return [...lines].sort();
}

export interface LoadedInput { input: EngineInput; lines: string[]; sites: string[]; rollups: StoredRollup[] }

export interface LoadSelection { referenceVersion?: number; lines?: string[]; sites?: string[]; cachedSnapshot?: boolean }

/** Loads the snapshot and the rollups a calculation of `products` needs (or the recorded lines/sites on replay). */
export async function loadEngineInput(repo: CloudSinkRepository, options: CalcOptions, products: string[] | 'all', sel: LoadSelection = {}): Promise<LoadedInput> {
  const { lines, sites } = sel;
  const snapshot = await loadSnapshot(repo, sel.referenceVersion, sel.cachedSnapshot ?? false);
  const fromMs = Date.parse(options.periodStart), toMs = Date.parse(options.periodEnd);
  if (!(fromMs < toMs)) throw new PcfError('ERR_USAGE', `period ${options.periodStart} – ${options.periodEnd} is empty or invalid`);
  for (const p of products === 'all' ? [] : products) {
    if (!snapshot.products.has(p)) throw new PcfError('ERR_NOT_FOUND', `product '${p}' does not exist (reference version ${snapshot.asOfVersion})`, { product: p });
  }
  const useLines = lines ?? linesFor(snapshot, products, fromMs, toMs);
  const useSites = sites ?? [...new Set(useLines.map((l) => snapshot.lines.get(l)!.data.site))].sort();
  const lineRollups = new Map<string, StoredRollup[]>();
  const siteRollups = new Map<string, StoredRollup[]>();
  const all: StoredRollup[] = [];
  for (const line of useLines) {
    const rows = await repo.queryRollups({ type: 'line', line, fromMs, toMs });
    lineRollups.set(line, rows);
    all.push(...rows);
  }
  for (const site of useSites) {
    const rows = await repo.queryRollups({ type: 'site', site, fromMs, toMs });
    if (rows.length > 0) siteRollups.set(site, rows);
    all.push(...rows);
  }
  return { input: { snapshot, lineRollups, siteRollups, options }, lines: useLines, sites: useSites, rollups: all };
}

export function auditBody(resultId: string, loaded: LoadedInput, calc: PeriodCalculation, product: string): AuditBody {
  const r = calc.product(product);
  const entities = [...calc.usedEntities()].map(([key, e]) => ({ kind: key.slice(0, key.indexOf(':')), id: e.entityId, version: e.version, hash: contentHash(e.data) }))
    .sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1));
  return {
    schema: 'pcf-edge.audit/1', resultId, subject: { kind: 'product', id: product }, options: calc.input.options,
    inputs: {
      referenceVersion: calc.input.snapshot.asOfVersion, gwpSet: calc.input.options.gwpSet, entities, lines: loaded.lines, sites: loaded.sites,
      rollups: loaded.rollups.map((x) => ({ id: x.id, revision: x.revision })), rollupsHash: contentHash(loaded.rollups),
    },
    derivation: r.trace(),
    result: productResultDoc(calc, r),
  };
}

interface CachedPeriod { fingerprint: string; loaded: LoadedInput; calc: PeriodCalculation }
const periodCache = new WeakMap<CloudSinkRepository, Map<string, CachedPeriod>>();
const PERIOD_CACHE_ENTRIES = 24;
const periodKey = (version: number, options: CalcOptions) => `${version}|${canonicalJson(options)}`;

async function fingerprintFor(repo: CloudSinkRepository, options: CalcOptions, referenceVersion?: number): Promise<{ key: string; fingerprint: string; version: number } | undefined> {
  if (!repo.rollupFingerprint) return undefined;
  const snapshot = await loadSnapshot(repo, referenceVersion, true);
  const fingerprint = await repo.rollupFingerprint([...snapshot.sites.keys()], Date.parse(options.periodStart), Date.parse(options.periodEnd));
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
interface CachedProduct { fingerprint: string; result: Promise<Calculated> }
const productCache = new WeakMap<CloudSinkRepository, Map<string, CachedProduct>>();
const PRODUCT_CACHE_ENTRIES = 256;

/**
 * Computes one product's PCF for a period (not stored). Uses a precomputed period when one is cached for the same
 * reference version, options and unchanged rollups (same numbers as a fresh calculation; its balances then list
 * every line); otherwise reads the rollups of the lines the product's BOM closure ran on. A fresh calculation is
 * kept per (reference version, options, product) while the period's rollup fingerprint is unchanged, and concurrent
 * identical requests share one calculation (ADR 0034, 0141).
 */
export async function calculateProduct(repo: CloudSinkRepository, product: string, options: CalcOptions, referenceVersion?: number): Promise<Calculated> {
  const fp = await fingerprintFor(repo, options, referenceVersion);
  if (!fp) return calculateFresh(repo, product, options, referenceVersion);
  const hit = periodCache.get(repo)?.get(fp.key);
  if (hit && hit.fingerprint === fp.fingerprint) return { calc: hit.calc, loaded: hit.loaded, doc: productResultDoc(hit.calc, hit.calc.product(product)) };
  let cache = productCache.get(repo);
  if (!cache) productCache.set(repo, (cache = new Map()));
  const key = `${fp.key}|${product}`;
  const cached = cache.get(key);
  if (cached && cached.fingerprint === fp.fingerprint) return cached.result;
  const result = calculateFresh(repo, product, options, fp.version);
  cache.delete(key);
  cache.set(key, { fingerprint: fp.fingerprint, result });
  if (cache.size > PRODUCT_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  result.catch(() => { if (cache.get(key)?.result === result) cache.delete(key); });
  return result;
}

async function calculateFresh(repo: CloudSinkRepository, product: string, options: CalcOptions, referenceVersion?: number): Promise<{ calc: PeriodCalculation; loaded: LoadedInput; doc: ProductResultDoc }> {
  const loaded = await loadEngineInput(repo, options, [product], { referenceVersion, cachedSnapshot: true });
  const calc = computePeriod(loaded.input);
  return { calc, loaded, doc: productResultDoc(calc, calc.product(product)) };
}

/**
 * Computes and stores one product's PCF with its hash-chained audit record. Always a fresh calculation over the
 * product's own lines, so the record lists exactly the inputs this product used.
 */
export async function calculateAndStore(repo: CloudSinkRepository, product: string, options: CalcOptions, now = Date.now()): Promise<{ doc: ProductResultDoc; audit: AuditRecord }> {
  const { calc, loaded } = await calculateFresh(repo, product, options);
  const resultId = randomUUID();
  const body = auditBody(resultId, loaded, calc, product);
  const audit = await repo.appendResult({
    id: resultId, kind: 'product', subject: product, periodStart: options.periodStart, periodEnd: options.periodEnd,
    method: options.method, gwpSet: options.gwpSet, result: body.result, createdAtMs: now,
  }, canonicalJson(body), chainHash);
  return { doc: body.result, audit };
}
