import { isPcfError } from '@pcf-edge/core';
import { computePeriod, lineEnergy, toMicro, type CalcOptions, type EnergyWindow } from '@pcf-edge/pcf-engine';
import { emptySnapshot, withEntities } from '../src/reference/snapshot';
import type { Product, ReferenceKind, ReferenceSnapshot } from '../src/reference/types';
import { lineRollup } from './helpers';

/**
 * Allocation key `units` adds the output of the orders sharing energy (issue 22: it added kilograms and megajoules of
 * co-products without a word). Alike dimensions add exactly; unlike ones are shared by declared mass, or refused.
 */
function snapshot(products: Partial<Product>[], orders: [string, string, string, string][]): ReferenceSnapshot {
  const data: Partial<Record<ReferenceKind, Record<string, unknown>[]>> = {
    sites: [{ id: 'plant-1', region: 'GB' }],
    lines: [{ id: 'line-1', site: 'plant-1' }],
    products: products.map((p) => ({ unitaryProductAmount: '1', productIds: [`urn:${p.id}`], ...p })),
    factors: [
      {
        id: 'grid',
        activity: 'electricity',
        region: 'GB',
        unit: 'kWh',
        energyBasis: null,
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
    orders: orders.map(([id, product, start, end]) => ({
      id,
      line: 'line-1',
      product,
      start: `2026-01-01T${start}:00Z`,
      end: `2026-01-01T${end}:00Z`,
      goodQuantity: product === 'litres' ? '1000' : product === 'cubic' ? '1' : '10',
      scrapQuantity: '0',
    })),
  };
  let s = emptySnapshot();
  for (const [kind, rows] of Object.entries(data))
    s = withEntities(
      s,
      kind as ReferenceKind,
      rows.map((r) => ({ entityId: r.id as string, version: 1, hash: '', data: r })),
    );
  return s;
}

const windows = (...kWh: number[]): EnergyWindow[] =>
  kWh.map((e, i) => {
    const r = lineRollup('line-1', new Date(Date.parse('2026-01-01T00:00:00Z') + i * 900_000).toISOString(), 1, e);
    return {
      startMs: Date.parse(r.windowStart),
      windowMs: r.windowMs,
      site: r.site,
      estimated: false,
      coverage: 1,
      electricity: toMicro(e)!,
      gasM3: 0,
      gasKWh: 0,
      gasCvBasis: null,
    };
  });

const options: CalcOptions = {
  periodStart: '2026-01-01T00:00:00Z',
  periodEnd: '2026-01-01T01:00:00Z',
  method: 'location',
  gwpSet: 'AR6',
  shareKey: 'units',
  overheadKey: 'units',
};
const run = (s: ReferenceSnapshot, w: EnergyWindow[], o: Partial<CalcOptions> = {}) => {
  const calc = computePeriod({
    snapshot: s,
    lines: new Map([['line-1', lineEnergy(w)]]),
    sites: new Map(),
    options: { ...options, ...o },
  });
  return (id: string) => calc.orders.get(id)!.energy.electricityKWh.toString();
};
const kg = { id: 'sheet', declaredUnit: 'kg' };
const mj = { id: 'steam', declaredUnit: 'MJ' };
const both = (a: string, b: string): [string, string, string, string][] => [
  ['oa', a, '00:00', '00:15'],
  ['ob', b, '00:00', '00:15'],
];

describe("allocation key 'units'", () => {
  it('refuses to add kilograms and megajoules in one window, naming the products and units', () => {
    let err: unknown;
    try {
      run(snapshot([kg, mj], both('sheet', 'steam')), windows(30))('oa');
    } catch (e) {
      err = e;
    }
    expect(isPcfError(err, 'ERR_UNIT')).toBe(true);
    expect((err as Error).message).toBe(
      "allocation key 'units' cannot share the window 2026-01-01T00:00:00.000Z–2026-01-01T00:15:00.000Z of line-1 between unlike units (sheet in kg, steam in MJ without massKgPerDeclaredUnit): declare each product's massKgPerDeclaredUnit, or choose the mass, economicValue or machineTime key",
    );
    // the other keys are not about declared units
    expect(run(snapshot([kg, mj], both('sheet', 'steam')), windows(30), { shareKey: 'machineTime' })('oa')).toBe('15');
  });

  it('refuses to spread a line’s idle energy over kilograms and megajoules', () => {
    const orders: [string, string, string, string][] = [
      ['oa', 'sheet', '00:00', '00:15'],
      ['ob', 'steam', '00:15', '00:30'],
    ];
    expect(() => run(snapshot([kg, mj], orders), windows(10, 10, 10))('oa')).toThrow(
      /cannot share the idle energy of line line-1 between unlike units \(sheet in kg, steam in MJ without massKgPerDeclaredUnit\)/,
    );
  });

  it('adds litres and cubic metres exactly: 1000 l and 1 m3 share a window equally', () => {
    const s = snapshot(
      [
        { id: 'litres', declaredUnit: 'l' },
        { id: 'cubic', declaredUnit: 'm3' },
      ],
      both('litres', 'cubic'),
    );
    const kWh = run(s, windows(30));
    expect([kWh('oa'), kWh('ob')]).toEqual(['15', '15']);
    // records made with the 2026-11 table keep counting declared units as they were (1000 : 1)
    const old = run(s, windows(30), { units: '2026-11' });
    expect(old('oa')).toBe('29.97002997002997002997002997002997002997');
  });

  it('shares kilograms and pieces by the pieces’ declared mass', () => {
    const s = snapshot(
      [kg, { id: 'housing', declaredUnit: 'piece', massKgPerDeclaredUnit: '2' }],
      both('sheet', 'housing'),
    );
    const kWh = run(s, windows(30)); // 10 kg of sheet, 10 housings of 2 kg
    expect([kWh('oa'), kWh('ob')]).toEqual(['10', '20']);
  });
});
