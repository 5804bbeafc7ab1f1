import { isPcfError } from '@pcf-edge/core';
import {
  computePeriod,
  convert,
  Dec,
  gwp as gwpOf,
  lineEnergy,
  toMicro,
  type CalcOptions,
  type EnergyWindow,
} from '@pcf-edge/pcf-engine';
import { emptySnapshot, withEntities } from '../src/reference/snapshot';
import type { ReferenceKind, ReferenceSnapshot } from '../src/reference/types';
import { lineRollup } from './helpers';

function snapshot(data: Partial<Record<ReferenceKind, Record<string, unknown>[]>>): ReferenceSnapshot {
  let s = emptySnapshot();
  for (const [kind, rows] of Object.entries(data)) {
    s = withEntities(
      s,
      kind as ReferenceKind,
      rows.map((r) => ({ entityId: (r.id ?? r.product) as string, version: 1, hash: '', data: r })),
    );
  }
  return s;
}
const base = {
  sites: [{ id: 'plant-1', region: 'GB' }],
  lines: [{ id: 'line-1', site: 'plant-1' }],
  products: [
    {
      id: 'a',
      declaredUnit: 'piece',
      unitaryProductAmount: '1',
      massKgPerDeclaredUnit: '2',
      economicValuePerDeclaredUnit: '10',
      productIds: ['urn:a'],
    },
    {
      id: 'b',
      declaredUnit: 'piece',
      unitaryProductAmount: '1',
      massKgPerDeclaredUnit: '1',
      economicValuePerDeclaredUnit: '30',
      productIds: ['urn:b'],
    },
  ],
  factors: [
    {
      id: 'grid',
      activity: 'electricity',
      region: 'GB',
      unit: 'MWh',
      energyBasis: null,
      components: { CO2e: '200' },
      source: 's',
      version: '1',
      validFrom: '2020-01-01',
      validTo: null,
    },
    {
      id: 'gas-net',
      activity: 'natural-gas',
      region: 'GB',
      unit: 'kWh',
      energyBasis: 'net',
      components: { CO2: '0.2' },
      source: 's',
      version: '1',
      validFrom: '2020-01-01',
      validTo: null,
    },
  ],
  electricity: [
    {
      id: 'm',
      site: 'plant-1',
      validFrom: '2020-01-01',
      validTo: null,
      locationFactorId: 'grid',
      marketFactorId: 'grid',
      marketInstrument: 'residual-mix',
      provenance: 'p',
    },
  ],
  orders: [
    {
      id: 'oa',
      line: 'line-1',
      product: 'a',
      start: '2026-01-01T00:00:00Z',
      end: '2026-01-01T00:05:00Z',
      goodQuantity: '10',
      scrapQuantity: '0',
    },
    {
      id: 'ob',
      line: 'line-1',
      product: 'b',
      start: '2026-01-01T00:05:00Z',
      end: '2026-01-01T00:15:00Z',
      goodQuantity: '10',
      scrapQuantity: '0',
    },
  ],
};
/** Line rollups as the engine reads them, window by window (quantities in micro-units). */
const stored = (...rs: ReturnType<typeof lineRollup>[]): EnergyWindow[] =>
  rs.map((r) => ({
    startMs: Date.parse(r.windowStart),
    windowMs: r.windowMs,
    site: r.site,
    estimated: r.estimated,
    coverage: r.coverage,
    electricity: toMicro(r.electricityKWh)!,
    gasM3: toMicro(r.gasM3)!,
    gasKWh: toMicro(r.gasKWh)!,
    gasCvBasis: r.gasCvBasis,
  }));
const options: CalcOptions = {
  periodStart: '2026-01-01T00:00:00Z',
  periodEnd: '2026-01-02T00:00:00Z',
  method: 'location',
  gwpSet: 'AR6',
  shareKey: 'units',
  overheadKey: 'units',
};
const run = (
  s: ReferenceSnapshot,
  rollups = stored(lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 30)),
  o: Partial<CalcOptions> = {},
) =>
  computePeriod({
    snapshot: s,
    lines: new Map([['line-1', lineEnergy(rollups)]]),
    sites: new Map(),
    options: { ...options, ...o },
  });

describe('PCF engine', () => {
  it('shares a window between orders by the configured key', () => {
    const kWh = (key: CalcOptions['shareKey']) =>
      run(snapshot(base), undefined, { shareKey: key }).orders.get('oa')!.energy.electricityKWh.toString();
    // weights per order: key per ms × overlap; both orders are entirely inside the window
    expect(kWh('units')).toBe('15'); // 10 : 10
    expect(kWh('mass')).toBe('20'); // 20 kg : 10 kg
    expect(kWh('economicValue')).toBe('7.5'); // 100 : 300
    expect(kWh('machineTime')).toBe('10'); // 5 min : 10 min
  });

  it('converts kWh to the factor unit (MWh) and prices with the GWP set', () => {
    const calc = run(snapshot(base));
    expect(calc.orders.get('oa')!.energy.electricityLocation.toString()).toBe('3'); // 15 kWh = 0.015 MWh × 200
    expect(calc.product('a').perUnit.toString()).toBe('0.3');
  });

  it('unit conversions are exact where the ratios are (more in engine/test/units.test.ts)', () => {
    expect(convert(new Dec(10), 'therm', 'mmBtu').toString()).toBe('1');
    expect(convert(new Dec(1), 'mmBtu', 'MJ').toString()).toBe('1055.05585262');
    expect(convert(new Dec(36), 'MJ', 'kWh').toString()).toBe('10');
    expect(convert(new Dec(100), 'ft3', 'm3').toString()).toBe('2.8316846592');
    expect(() => convert(new Dec(1), 'kg', 'kWh')).toThrow(expect.objectContaining({ code: 'ERR_UNIT' }));
  });

  it('gas on another CV basis than its factor ⇒ ERR_BASIS_MISMATCH', () => {
    const gas = stored(
      lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 30, { gasKWh: 10, gasM3: 1, gasCvBasis: 'gross' }),
    );
    expect(() => run(snapshot(base), gas)).toThrow(expect.objectContaining({ code: 'ERR_BASIS_MISMATCH' }));
  });

  it('a missing factor is an error naming it, never a default', () => {
    const noMapping = snapshot({ ...base, electricity: [] });
    let err: unknown;
    try {
      run(noMapping);
    } catch (e) {
      err = e;
    }
    expect(isPcfError(err, 'ERR_FACTOR_MISSING')).toBe(true);
    expect((err as Error).message).toBe(
      'no electricity mapping (location/market factors) for site plant-1 at 2026-01-01T00:00:00.000Z',
    );
    const withBom = snapshot({
      ...base,
      boms: [
        { product: 'a', lines: [{ component: 'unobtainium', componentKind: 'material', quantity: '1', unit: 'kg' }] },
      ],
    });
    expect(() => run(withBom).product('a')).toThrow('no emission factor for unobtainium at 2026-01-01T00:00:00.000Z');
  });

  it('a BOM cycle ⇒ ERR_BOM_CYCLE naming the cycle', () => {
    const s = snapshot({
      ...base,
      boms: [
        { product: 'a', lines: [{ component: 'b', componentKind: 'product', quantity: '1', unit: 'piece' }] },
        { product: 'b', lines: [{ component: 'a', componentKind: 'product', quantity: '1', unit: 'piece' }] },
      ],
    });
    let err: unknown;
    try {
      run(s).product('a');
    } catch (e) {
      err = e;
    }
    expect(isPcfError(err, 'ERR_BOM_CYCLE')).toBe(true);
    expect((err as { details: { cycle: string[] } }).details.cycle).toEqual(['a', 'b', 'a']);
  });

  it('energy outside orders is overhead; with no order to carry it, it stays unallocated and conservation holds', () => {
    const rollups = stored(
      lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 30),
      lineRollup('line-1', '2026-01-01T00:15:00.000Z', 1, 12),
    );
    const calc = run(snapshot(base), rollups);
    expect(calc.balances[0]).toMatchObject({
      metered: '42',
      allocated: '30',
      overhead: '12',
      unallocated: '0',
      residual: '0',
    });
    const none = run(snapshot({ ...base, orders: [] }), rollups);
    expect(none.balances[0]).toMatchObject({
      metered: '42',
      allocated: '0',
      overhead: '0',
      unallocated: '42',
      residual: '0',
    });
  });

  it('reports missing windows, partial coverage and a line without rollups in the result warnings', () => {
    const calc = run(
      snapshot(base),
      stored(lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 30, { coverage: 0.5, estimated: true })),
    );
    expect(calc.product('a').warnings).toEqual([
      'line-1: 95 of 96 windows of 15 min have no rollup',
      'line-1: 1 windows with coverage below 1 (lowest 0.5)',
      'line-1: 1 windows with estimated values',
    ]);
    expect(run(snapshot(base), []).product('b').warnings).toEqual([
      'line-1: no rollups in the period; its metered energy is taken as 0',
    ]);
  });
});

describe('PCF engine: what the method adds to energy', () => {
  const withDirect = snapshot({
    ...base,
    factors: [
      ...base.factors,
      {
        id: 'steel',
        activity: 'steel',
        region: 'GB',
        unit: 'kg',
        energyBasis: null,
        components: { CO2: '1.9', CH4: '0.002', N2O: '0.0001' },
        source: 's',
        version: '1',
        validFrom: '2020-01-01',
        validTo: null,
      },
    ],
    products: [
      ...base.products,
      { id: 'c', declaredUnit: 'piece', unitaryProductAmount: '1', massKgPerDeclaredUnit: '1', productIds: ['urn:c'] },
    ],
    boms: [{ product: 'c', lines: [{ component: 'steel', componentKind: 'material', quantity: '2', unit: 'kg' }] }],
    'direct-emissions': [
      // per declared unit of c, per hour of line-1, and one not yet valid in the period
      {
        id: 'curing',
        scope: 'product',
        ref: 'c',
        gas: 'CH4',
        amountKg: '0.01',
        per: 'declaredUnit',
        validFrom: '2020-01-01',
        validTo: null,
      },
      {
        id: 'line',
        scope: 'line',
        ref: 'line-1',
        gas: 'N2O',
        amountKg: '1',
        per: 'hour',
        validFrom: '2020-01-01',
        validTo: null,
      },
      {
        id: 'later',
        scope: 'product',
        ref: 'c',
        gas: 'SF6',
        amountKg: '1',
        per: 'declaredUnit',
        validFrom: '2027-01-01',
        validTo: null,
      },
    ],
  });

  it('a product made on no line in the period: materials plus its direct emissions per declared unit', () => {
    const calc = run(withDirect);
    const c = calc.product('c');
    expect(c.produced).toBe(false);
    // 2 kg × (1.9 + 0.002 × 29.8 + 0.0001 × 273) = 3.9738; + 0.01 kg CH4 × 29.8 (AR6) = 0.298
    expect(c.materialsPerUnit.toString()).toBe('3.9738');
    expect(c.perUnit.toString()).toBe('4.2718');
    expect(c.warnings).toEqual([
      'c: no production in 2026-01-01T00:00:00Z/2026-01-02T00:00:00Z; production energy, overhead and line-scope direct emissions not included',
    ]);
    expect(c.trace().children!.map((n) => [n.name, n.value])).toContainEqual([
      'direct process emissions per declared unit',
      '0.298',
    ]);
    expect(calc.usedEntities().has('direct-emissions:curing')).toBe(true);
    expect(calc.usedEntities().has('direct-emissions:later')).toBe(false);
    expect(Object.fromEntries([...c.ghgPerUnitKg].map(([g, kg]) => [g, kg.toString()]))).toEqual({
      CO2: '3.8',
      CH4: '0.014',
      N2O: '0.0002',
    });
  });

  it('reports every gas before GWP: Σ mass × GWP is the kgCO2e, per order and per product', () => {
    const calc = run(withDirect);
    for (const p of ['a', 'b']) {
      const r = calc.product(p);
      const characterised = [...r.ghgKg].reduce((s, [gas, kg]) => s.plus(kg.times(gwpOf('AR6', gas))), new Dec(0));
      expect(characterised.toDecimalPlaces(20).toString()).toBe(r.total.toDecimalPlaces(20).toString());
      expect([...r.ghgKg.keys()]).toEqual(['CO2e', 'N2O']); // grid CO2e, line-1's N2O per hour
    }
  });
});
