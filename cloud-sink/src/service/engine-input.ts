import { PcfError } from '@pcf-edge/core';
import {
  productClosure,
  ReferenceIndex,
  summableSegments,
  type CalcOptions,
  type EngineInput,
  type LineEnergy,
  type ReferenceSnapshot,
} from '@pcf-edge/pcf-engine';
import { loadSnapshot } from '../reference/snapshot';
import type { Bom } from '../reference/types';
import type { CloudSinkRepository, EnergyRequest, StoredRollup } from '../store/repository';

/** A reference snapshot with what calculations derive from it alone. */
export interface Reference {
  snapshot: ReferenceSnapshot;
  index: ReferenceIndex;
  /**
   * The SHA-256 of the canonical JSON of each entity of `snapshot` an audit view has named, by the engine's
   * used-entity key (`products:widget`), filled on first use (`auditInputs`). A snapshot is immutable, so an entry
   * never changes while this Reference lives; it is dropped with it.
   */
  entityHashes: Map<string, string>;
}

/** Reads the reference data as of `version` (default: the latest) from the store, with a fresh index. */
export async function readReference(repo: CloudSinkRepository, version?: number): Promise<Reference> {
  const snapshot = await loadSnapshot(repo, version);
  return { snapshot, index: new ReferenceIndex(snapshot), entityHashes: new Map() };
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
  // an indexed loop: this runs over every order for each ad-hoc calculation
  const orders = index.orderTimes();
  for (let i = 0; i < orders.length; i++) {
    const o = orders[i]!;
    if (o.s < toMs && o.en > fromMs && wanted.has(o.e.data.product)) lines.add(o.e.data.line);
  }
  return [...withSupplyLines(snapshot, lines, fromMs, toMs)].sort();
}

/**
 * `lines` and every other line of their sites that have a supply mix overlapping the period: a site's market-based
 * factor is derived from all of its metered electricity (ADR 0250).
 */
function withSupplyLines(snapshot: ReferenceSnapshot, lines: Set<string>, fromMs: number, toMs: number): Set<string> {
  const sites = new Set([...lines].map((l) => snapshot.lines.get(l)!.data.site));
  const mixed = new Set(
    [...snapshot.supply.values()]
      .map((m) => m.data)
      .filter(
        (m) =>
          sites.has(m.site) && Date.parse(m.validFrom) < toMs && (m.validTo === null || fromMs < Date.parse(m.validTo)),
      )
      .map((m) => m.site),
  );
  if (mixed.size === 0) return lines;
  for (const l of snapshot.lines.values()) if (mixed.has(l.data.site)) lines.add(l.entityId);
  return lines;
}

/** One series as read: whose energy, the window length read (null: none in the period), whether any rollup was there. */
export interface SeriesRead {
  type: 'line' | 'site';
  id: string;
  windowMs: number | null;
  anyRollup: boolean;
}

/** The engine input of a calculation and what was read for it. */
export interface LoadedInput {
  input: EngineInput;
  /** The reference the input was loaded under (its snapshot is `input.snapshot`). */
  reference: Reference;
  lines: string[];
  sites: string[];
  /** With `list`: every rollup whose energy was read, lines then sites, each by window start and id. */
  rollups?: StoredRollup[];
  /** With `list`: each series read, lines then sites. */
  series?: SeriesRead[];
}

export interface LoadSelection {
  /** The recorded lines and sites (audit replay); default: the lines of the products' BOM closure, and their sites. */
  lines?: string[];
  sites?: string[];
  /** Also list every rollup read (an audit record names them). */
  list?: boolean;
}

/**
 * Reads the energy a calculation of `products` needs under `reference`, in one consistent read of the store: per line
 * (and site), whole windows inside one summable segment as sums, the other windows on their own (ADR 0180). Every
 * calculation reads this way; the engine gives the same digits as for every window on its own.
 */
export async function loadEngineInput(
  repo: CloudSinkRepository,
  reference: Reference,
  options: CalcOptions,
  products: string[] | 'all',
  sel: LoadSelection = {},
): Promise<LoadedInput> {
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
  const lines = sel.lines ?? linesFor(index, products, fromMs, toMs);
  const sites = sel.sites ?? [...new Set(lines.map((l) => snapshot.lines.get(l)!.data.site))].sort();
  const request: EnergyRequest = {
    fromMs,
    toMs,
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
    series: [
      ...lines.map((line) => ({
        key: { type: 'line' as const, line },
        segments: summableSegments(index, options, line),
      })),
      ...sites.map((site) => ({ key: { type: 'site' as const, site }, segments: summableSegments(index, options) })),
    ],
    ...(sel.list ? { list: true } : {}),
  };
  const read = await repo.readEnergy(request);
  const lineEnergy = new Map<string, LineEnergy>(),
    siteEnergy = new Map<string, LineEnergy>();
  for (const s of read) {
    if (s.key.type === 'line') lineEnergy.set(s.key.line, s.energy);
    else if (s.anyRollup) siteEnergy.set(s.key.site, s.energy);
  }
  return {
    input: { snapshot, index, lines: lineEnergy, sites: siteEnergy, options },
    reference,
    lines,
    sites,
    ...(sel.list
      ? {
          rollups: read.flatMap((s) => s.rollups ?? []),
          series: read.map((s) => ({
            type: s.key.type,
            id: s.key.type === 'line' ? s.key.line : s.key.site,
            windowMs: s.energy.windowMs ?? null,
            anyRollup: s.anyRollup,
          })),
        }
      : {}),
  };
}
