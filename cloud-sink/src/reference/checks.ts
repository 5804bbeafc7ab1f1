import { dec } from '@pcf-edge/pcf-engine';
import { GASES } from '@pcf-edge/pcf-engine';
import { canonicalUnit, convertible, dimensionOf, isKnownUnit, unknownUnitReason } from '@pcf-edge/pcf-engine';
import { findBomCycle } from '@pcf-edge/pcf-engine';
import type { RowError } from './parse';
import { checkSupplyMix } from './supply';
import type {
  Bom,
  DirectEmission,
  ElectricityMapping,
  EmissionFactor,
  Line,
  ProductionOrder,
  Product,
  ReferenceKind,
  ReferenceSnapshot,
  SupplierPcf,
  SupplyMix,
} from './types';

/** An entity about to be imported with the data row(s) it came from (for error positions). */
export interface Candidate {
  entityId: string;
  data: unknown;
  rows: number[];
}

type Check = (c: Candidate, s: ReferenceSnapshot, err: (row: number, column: string, reason: string) => void) => void;

const nonNegative = (value: unknown, column: string, row: number, err: (r: number, c: string, m: string) => void) => {
  if (value !== undefined && dec(value as string).isNegative())
    err(row, column, `must not be negative (got ${String(value)})`);
};
const ms = (t: string | null | undefined) => (t == null ? Number.POSITIVE_INFINITY : Date.parse(t));

function validity(from: string, to: string | null, row: number, err: (r: number, c: string, m: string) => void): void {
  if (ms(to) <= ms(from)) err(row, 'validTo', `must be after validFrom (${from})`);
}

/** The unit a component of a BOM is measured in: product declared unit, factor unit, or supplier PCF declared unit. */
export function componentUnit(
  kind: Bom['lines'][number]['componentKind'],
  component: string,
  s: ReferenceSnapshot,
): string | undefined {
  switch (kind) {
    case 'product':
      return (s.products.get(component)?.data as Product | undefined)?.declaredUnit;
    case 'material':
      return [...s.factors.values()].find((f) => f.data.activity === component)?.data.unit;
    case 'supplierProduct':
      return [...s['supplier-pcfs'].values()].find((p) => p.data.productIds.includes(component))?.data.pcf.declaredUnit;
  }
}

const CHECKS: Partial<Record<ReferenceKind, Check>> = {
  lines: (c, s, err) => {
    const l = c.data as Line;
    if (!s.sites.has(l.site)) err(c.rows[0]!, 'site', `unknown site '${l.site}'`);
  },
  products: (c, _s, err) => {
    const p = c.data as Product;
    if (dec(p.unitaryProductAmount).lte(0)) err(c.rows[0]!, 'unitaryProductAmount', 'must be greater than 0');
    nonNegative(p.massKgPerDeclaredUnit, 'massKgPerDeclaredUnit', c.rows[0]!, err);
    nonNegative(p.economicValuePerDeclaredUnit, 'economicValuePerDeclaredUnit', c.rows[0]!, err);
    nonNegative(p.fossilCarbonContentKgPerDeclaredUnit, 'fossilCarbonContentKgPerDeclaredUnit', c.rows[0]!, err);
    nonNegative(p.biogenicCarbonContentKgPerDeclaredUnit, 'biogenicCarbonContentKgPerDeclaredUnit', c.rows[0]!, err);
  },
  boms: (c, s, err) => {
    const bom = c.data as Bom;
    if (!s.products.has(bom.product)) err(c.rows[0]!, 'product', `unknown product '${bom.product}'`);
    bom.lines.forEach((l, i) => {
      const row = c.rows[i]!;
      nonNegative(l.quantity, 'quantity', row, err);
      if (!isKnownUnit(l.unit)) return err(row, 'unit', unknownUnitReason(l.unit));
      const target = componentUnit(l.componentKind, l.component, s);
      if (target === undefined) return err(row, 'component', `unknown ${l.componentKind} '${l.component}'`);
      if (!convertible(l.unit, target))
        err(row, 'unit', `'${l.unit}' cannot be converted to ${l.component}'s unit '${target}'`);
    });
  },
  'direct-emissions': (c, s, err) => {
    const d = c.data as DirectEmission;
    const row = c.rows[0]!;
    const known = d.scope === 'product' ? s.products.has(d.ref) : s.lines.has(d.ref);
    if (!known) err(row, 'ref', `unknown ${d.scope} '${d.ref}'`);
    if (!(GASES as string[]).includes(d.gas)) err(row, 'gas', `unknown gas '${d.gas}' (${GASES.join(', ')})`);
    if ((d.scope === 'product') !== (d.per === 'declaredUnit'))
      err(row, 'per', `scope ${d.scope} requires per ${d.scope === 'product' ? 'declaredUnit' : 'hour'}`);
    nonNegative(d.amountKg, 'amountKg', row, err);
    validity(d.validFrom, d.validTo ?? null, row, err);
  },
  factors: (c, _s, err) => {
    const f = c.data as EmissionFactor;
    const row = c.rows[0]!;
    if (!isKnownUnit(f.unit)) err(row, 'unit', unknownUnitReason(f.unit));
    else if (dimensionOf(f.unit) === 'energy' && f.activity !== 'electricity' && f.energyBasis === null)
      err(row, 'energyBasis', `a fuel energy factor needs gross or net (unit ${f.unit})`);
    else if (dimensionOf(f.unit) !== 'energy' && f.energyBasis !== null)
      err(row, 'energyBasis', `only energy units have a CV basis (unit ${f.unit})`);
    for (const [gas, kg] of Object.entries(f.components)) {
      if (!(GASES as string[]).includes(gas))
        err(row, `components.${gas}`, `unknown gas '${gas}' (${GASES.join(', ')})`);
      else nonNegative(kg, `components.${gas}`, row, err);
    }
    validity(f.validFrom, f.validTo ?? null, row, err);
    biogenicChecks(f, row, err);
  },
  electricity: (c, s, err) => {
    const m = c.data as ElectricityMapping;
    const row = c.rows[0]!;
    if (!s.sites.has(m.site)) err(row, 'site', `unknown site '${m.site}'`);
    for (const col of ['locationFactorId', 'marketFactorId'] as const) {
      const id = m[col];
      if (id === undefined) continue; // no market factor: location-based work only
      const f = s.factors.get(id)?.data;
      if (!f) err(row, col, `unknown factor '${id}'`);
      else if (f.activity !== 'electricity') err(row, col, `factor '${id}' is for '${f.activity}', not electricity`);
    }
    validity(m.validFrom, m.validTo ?? null, row, err);
  },
  supply: (c, s, err) => checkSupplyMix(c.data as SupplyMix, c.rows, s, err),
  'supplier-pcfs': (c, _s, err) => {
    const p = c.data as SupplierPcf;
    if (canonicalUnit(p.pcf.declaredUnit) === undefined)
      err(c.rows[0]!, 'pcf.declaredUnit', unknownUnitReason(p.pcf.declaredUnit));
  },
  orders: (c, s, err) => {
    const o = c.data as ProductionOrder;
    const row = c.rows[0]!;
    if (!s.lines.has(o.line)) err(row, 'line', `unknown line '${o.line}'`);
    if (!s.products.has(o.product)) err(row, 'product', `unknown product '${o.product}'`);
    if (Date.parse(o.end) <= Date.parse(o.start)) err(row, 'end', `must be after start (${o.start})`);
    nonNegative(o.goodQuantity, 'goodQuantity', row, err);
    nonNegative(o.scrapQuantity, 'scrapQuantity', row, err);
  },
};

const BIOGENIC_COLUMNS = ['biogenicCarbonContent', 'biogenicCO2Emissions', 'biogenicCO2Removals'] as const;

/** A factor's biogenic columns (ADR 0247): amounts ≥ 0, materials only, and not contradicting `biogenic: false`. */
function biogenicChecks(f: EmissionFactor, row: number, err: (r: number, c: string, m: string) => void): void {
  const given = BIOGENIC_COLUMNS.filter((c) => f[c] !== undefined);
  if (f.activity === 'electricity' || f.activity === 'natural-gas') {
    for (const c of [...given, ...(f.biogenic === true ? ['biogenic'] : [])])
      err(row, c, `biogenic carbon is given for materials (BOM activities), not for ${f.activity}`);
    return;
  }
  for (const c of given) {
    const v = dec(f[c]!);
    if (v.isNegative())
      err(
        row,
        c,
        c === 'biogenicCO2Removals'
          ? `must not be negative (got ${String(f[c])}): a removal is the positive mass of CO2 taken up`
          : `must not be negative (got ${String(f[c])})`,
      );
  }
  if (f.biogenic === false && given.some((c) => dec(f[c]!).gt(0)))
    err(
      row,
      'biogenic',
      `is false, but the factor gives biogenic carbon (${given.join(', ')}): leave it empty or true`,
    );
}

/** Row-level checks of every candidate against the merged snapshot (current data + candidates). */
export function checkCandidates(kind: ReferenceKind, candidates: Candidate[], merged: ReferenceSnapshot): RowError[] {
  const errors: RowError[] = [];
  const check = CHECKS[kind];
  for (const c of candidates) check?.(c, merged, (row, column, reason) => errors.push({ row, column, reason }));
  errors.push(...crossChecks(kind, candidates, merged));
  return errors;
}

/**
 * Checks spanning several entities: BOM cycles, overlapping factor validity, mixed CV bases, mapping overlaps.
 * Factors are looked up by (activity, region, date), so two valid at once for one activity and region would be
 * ambiguous — except electricity factors, which only a mapping names (by id): a location-based grid factor and a
 * market-based residual-mix factor of one region are both valid at once, and that is not a clash.
 */
function crossChecks(kind: ReferenceKind, candidates: Candidate[], s: ReferenceSnapshot): RowError[] {
  const rowOf = new Map(candidates.map((c) => [c.entityId, c.rows[0]!]));
  const errors: RowError[] = [];
  if (kind === 'boms') {
    const cycle = findBomCycle(
      (p) =>
        (s.boms.get(p)?.data as Bom | undefined)?.lines
          .filter((l) => l.componentKind === 'product')
          .map((l) => l.component) ?? [],
      [...rowOf.keys()],
    );
    if (cycle)
      errors.push({
        row: rowOf.get(cycle[0]!) ?? rowOf.values().next().value!,
        column: 'component',
        reason: `BOM cycle ${cycle.join(' → ')}`,
      });
  }
  if (kind === 'factors' || kind === 'electricity' || kind === 'supply') {
    const groups = new Map<string, { id: string; from: string; to: string | null; basis?: string | null }[]>();
    const entries =
      kind === 'factors'
        ? [...s.factors.values()]
            .filter((e) => e.data.activity !== 'electricity')
            .map((e) => ({
              key: `${e.data.activity}|${e.data.region}`,
              id: e.entityId,
              from: e.data.validFrom,
              to: e.data.validTo ?? null,
              basis: e.data.energyBasis,
            }))
        : [...(kind === 'electricity' ? s.electricity : s.supply).values()].map((e) => ({
            key: e.data.site,
            id: e.entityId,
            from: e.data.validFrom,
            to: e.data.validTo ?? null,
          }));
    for (const e of entries) groups.set(e.key, [...(groups.get(e.key) ?? []), e]);
    for (const [key, list] of groups) {
      const blame = (a: string, b: string) => (rowOf.has(a) ? a : b);
      const bases = new Set(list.map((e) => e.basis ?? 'none'));
      if (kind === 'factors' && bases.size > 1) {
        const id = list.find((e) => rowOf.has(e.id))?.id;
        if (id)
          errors.push({
            row: rowOf.get(id)!,
            column: 'energyBasis',
            reason: `mixed CV bases for ${key.replace('|', ' in ')}: ${[...bases].join(' and ')}`,
          });
      }
      list.sort((a, b) => ms(a.from) - ms(b.from));
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1]!,
          cur = list[i]!;
        if (ms(cur.from) < ms(prev.to) && (rowOf.has(prev.id) || rowOf.has(cur.id))) {
          errors.push({
            row: rowOf.get(blame(cur.id, prev.id))!,
            column: 'validFrom',
            reason: `validity overlaps '${rowOf.has(cur.id) ? prev.id : cur.id}' for ${key.replace('|', ' in ')}`,
          });
        }
      }
    }
  }
  return errors;
}
