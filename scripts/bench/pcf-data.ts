import { rollupId, type LineRollup, type SiteRollup } from '@pcf-edge/core';
import type { CalcOptions } from '@pcf-edge/pcf-engine';
import { mulberry32 } from '../../test-support/prng';

/**
 * Synthetic data for `npm run bench:pcf`: products in five BOM levels (each product above the last level uses two
 * products of the next level and a material; last-level products use a material and a supplier product), lines
 * running back-to-back 8-hour orders with 1-hour changeovers, and 15-minute line and site rollups.
 * Deterministic (seeded PRNG), so runs are comparable.
 */
export interface BenchSize {
  products: number;
  lines: number;
  months: number;
  ingestRollups: number;
}

export const LEVELS = 5;
const YEAR = 2025;
const WINDOW_MS = 900_000;

export const prng = mulberry32;

export const periodStart = (month: number) => new Date(Date.UTC(YEAR, month, 1)).toISOString();
/** The options of month `month`'s calculations (location-based, AR6, allocation by units), as the benches use them. */
export const optionsFor = (month: number): CalcOptions => ({
  periodStart: periodStart(month),
  periodEnd: periodStart(month + 1),
  method: 'location',
  gwpSet: 'AR6',
  shareKey: 'units',
  overheadKey: 'units',
});
/** Process CPU time (ms): reported beside wall time because a shared machine can stretch wall time many-fold. */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
export const productId = (level: number, i: number) => `p${level}-${i}`;
export const lineId = (i: number) => `line-${String(i + 1).padStart(2, '0')}`;

export function referenceData(size: BenchSize): Record<string, Record<string, unknown>[]> {
  const rnd = prng(42);
  const perLevel = Math.floor(size.products / LEVELS);
  const products: Record<string, unknown>[] = [];
  const boms: Record<string, unknown>[] = [];
  for (let level = 0; level < LEVELS; level++) {
    for (let i = 0; i < perLevel; i++) {
      const id = productId(level, i);
      products.push({
        id,
        declaredUnit: 'piece',
        unitaryProductAmount: '1',
        massKgPerDeclaredUnit: (1 + Math.floor(rnd() * 40) / 10).toString(),
        productIds: [`urn:bench:${id}`],
      });
      const mat = {
        product: id,
        component: `mat-${Math.floor(rnd() * 50)}`,
        componentKind: 'material',
        quantity: (Math.floor(rnd() * 1000) / 1000 + 0.1).toFixed(3),
        unit: 'kg',
      };
      if (level < LEVELS - 1) {
        const a = Math.floor(rnd() * perLevel);
        const b = (a + 1 + Math.floor(rnd() * (perLevel - 1))) % perLevel;
        boms.push(
          { product: id, component: productId(level + 1, a), componentKind: 'product', quantity: '1', unit: 'piece' },
          { product: id, component: productId(level + 1, b), componentKind: 'product', quantity: '2', unit: 'piece' },
          mat,
        );
      } else {
        boms.push(mat, {
          product: id,
          component: `urn:bench:supplier:${i % 10}`,
          componentKind: 'supplierProduct',
          quantity: '0.25',
          unit: 'kg',
        });
      }
    }
  }
  const factor = (
    id: string,
    activity: string,
    unit: string,
    basis: string | null,
    components: Record<string, string>,
  ) => ({
    id,
    activity,
    region: activity.startsWith('mat-') ? 'GLO' : 'GB',
    unit,
    energyBasis: basis,
    components,
    source: 'bench',
    version: '1',
    validFrom: '2020-01-01',
    validTo: null,
  });
  const factors = [
    factor('grid', 'electricity', 'kWh', null, { CO2: '0.204950289', CH4: '0.0000115', N2O: '0.0000068' }),
    factor('tariff', 'electricity-market', 'kWh', null, { CO2e: '0.05' }),
    factor('gas', 'natural-gas', 'kWh', 'gross', { CO2: '0.182516426', CH4: '0.00001', N2O: '0.0000005' }),
    ...Array.from({ length: 50 }, (_, i) =>
      factor(`f-mat-${i}`, `mat-${i}`, 'kg', null, { CO2: (1 + i / 10).toString(), CH4: '0.001' }),
    ),
  ];
  factors[1]!.activity = 'electricity';
  factors[1]!.region = 'GB-market';
  const supplier = Array.from({ length: 10 }, (_, i) => supplierPcf(i));
  const orders: Record<string, unknown>[] = [];
  const yearEnd = Date.UTC(YEAR, size.months, 1);
  let n = 0;
  for (let l = 0; l < size.lines; l++) {
    for (let t = Date.UTC(YEAR, 0, 1) + l * 15 * 60_000; t + 8 * 3_600_000 <= yearEnd; t += 9 * 3_600_000) {
      const p = (n * 7919) % (perLevel * LEVELS);
      orders.push({
        id: `o-${n}`,
        line: lineId(l),
        product: productId(Math.floor(p / perLevel), p % perLevel),
        start: new Date(t).toISOString(),
        end: new Date(t + 8 * 3_600_000).toISOString(),
        goodQuantity: String(100 + Math.floor(rnd() * 900)),
        scrapQuantity: String(Math.floor(rnd() * 10)),
      });
      n++;
    }
  }
  return {
    sites: [{ id: 'site-1', region: 'GB', country: 'GB' }],
    lines: Array.from({ length: size.lines }, (_, l) => ({ id: lineId(l), site: 'site-1' })),
    products,
    factors,
    'supplier-pcfs': supplier,
    boms,
    electricity: [
      {
        id: 'site-1-map',
        site: 'site-1',
        validFrom: '2020-01-01',
        validTo: null,
        locationFactorId: 'grid',
        marketFactorId: 'tariff',
        marketInstrument: 'supplier-specific',
        provenance: 'bench',
      },
    ],
    orders,
  };
}

function supplierPcf(i: number): Record<string, unknown> {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    specVersion: '2.2.0',
    version: 1,
    created: '2025-01-01T00:00:00Z',
    status: 'Active',
    companyName: 'Bench supplier',
    companyIds: ['urn:bench:company'],
    productDescription: '',
    productIds: [`urn:bench:supplier:${i}`],
    productCategoryCpc: '1',
    productNameCompany: `part ${i}`,
    comment: '',
    validityPeriodStart: '2024-01-01T00:00:00Z',
    validityPeriodEnd: '2030-01-01T00:00:00Z',
    pcf: {
      declaredUnit: 'kilogram',
      unitaryProductAmount: '1',
      pCfExcludingBiogenic: `${2 + i}.5`,
      fossilGhgEmissions: `${2 + i}.5`,
      fossilCarbonContent: '0',
      biogenicCarbonContent: '0',
      characterizationFactors: 'AR6',
      crossSectoralStandardsUsed: ['GHG Protocol Product standard'],
      boundaryProcessesDescription: '',
      referencePeriodStart: '2024-01-01T00:00:00Z',
      referencePeriodEnd: '2025-01-01T00:00:00Z',
      exemptedEmissionsPercent: 0,
      exemptedEmissionsDescription: '',
      packagingEmissionsIncluded: false,
      primaryDataShare: 50,
    },
  };
}

/** 15-minute line rollups (lines 1–5 also burn gas) and site baseload rollups for `months` months, in chunks. */
export function* rollupChunks(
  size: Pick<BenchSize, 'lines' | 'months'>,
  chunk: number,
  withSite = true,
): Generator<(LineRollup | SiteRollup)[]> {
  const rnd = prng(7);
  let out: (LineRollup | SiteRollup)[] = [];
  for (let t = Date.UTC(YEAR, 0, 1); t < Date.UTC(YEAR, size.months, 1); t += WINDOW_MS) {
    const windowStart = new Date(t).toISOString();
    const common = {
      revision: 1,
      site: 'site-1',
      windowStart,
      windowMs: WINDOW_MS,
      coverage: 1,
      estimated: false,
      flags: [],
    };
    for (let l = 0; l < size.lines; l++) {
      const gas = l < 5 ? Math.round(rnd() * 4000 + 2000) / 1000 : 0;
      out.push({
        ...common,
        id: rollupId({ type: 'line', site: 'site-1', line: lineId(l), windowMs: WINDOW_MS, windowStartMs: t }),
        type: 'line',
        line: lineId(l),
        electricityKWh: Math.round(rnd() * 10000 + 5000) / 1000,
        gasKWh: gas,
        gasM3: gas / 10,
        gasCvBasis: gas > 0 ? 'gross' : null,
        unitsGood: 20,
        unitsScrap: 0,
        kWhPerUnit: null,
        meters: [`${lineId(l)}-m`],
      });
    }
    if (withSite) {
      out.push({
        ...common,
        id: rollupId({ type: 'site', site: 'site-1', windowMs: WINDOW_MS, windowStartMs: t }),
        type: 'site',
        electricityKWh: 0,
        baseloadKWh: 3,
        gasM3: 0,
        gasKWh: 0,
        gasCvBasis: null,
        unitsGood: 0,
        unitsScrap: 0,
        lines: [],
      });
    }
    if (out.length >= chunk) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}
