import { isPcfError } from '@pcf-edge/core';
import {
  computePeriod,
  Dec,
  REFERENCE_KINDS,
  type CalcOptions,
  type ProductResult,
  type ReferenceKind,
  type ReferenceSnapshot,
  type TraceNode,
} from '../src';

/** Biogenic carbon through the BOM (ADR 0247): quantity × content, summed through levels, resolved per product. */

type Rows = Partial<Record<ReferenceKind, Record<string, unknown>[]>>;

function snapshot(rows: Rows): ReferenceSnapshot {
  const s = { asOfVersion: 1 } as Record<string, unknown>;
  for (const kind of REFERENCE_KINDS) {
    const list = rows[kind] ?? [];
    s[kind] = new Map(
      list.map((data) => {
        const id = (data.id ?? data.product) as string;
        return [id, { entityId: id, version: 1, hash: '', data }];
      }),
    );
  }
  return s as ReferenceSnapshot;
}

const factor = (id: string, activity: string, unit: string, extra: Record<string, unknown>) => ({
  id,
  activity,
  region: 'GLO',
  unit,
  energyBasis: null,
  components: { CO2e: '1' },
  source: 'test',
  version: '1',
  validFrom: '2020-01-01',
  validTo: null,
  ...extra,
});
const product = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  declaredUnit: 'piece',
  unitaryProductAmount: '1',
  productIds: [`urn:${id}`],
  ...extra,
});
const line = (component: string, componentKind: string, quantity: string, unit: string) => ({
  component,
  componentKind,
  quantity,
  unit,
});

const CARDBOARD = {
  biogenic: true,
  biogenicCarbonContent: '410',
  biogenicCO2Emissions: '95',
  biogenicCO2Removals: '1503.3',
};
const BASE: Rows = {
  sites: [{ id: 'plant', region: 'GB' }],
  lines: [{ id: 'line-1', site: 'plant' }],
  factors: [
    factor('cb', 'cardboard', 't', CARDBOARD),
    factor('wood', 'wood', 'kg', { biogenicCarbonContent: '0.5', biogenicCO2Removals: '1.8333' }),
    factor('steel', 'steel', 'kg', {}),
  ],
  'supplier-pcfs': [
    {
      id: 'glue-pcf',
      version: 1,
      status: 'Active',
      companyName: 'Glue Co',
      productIds: ['urn:sup:glue'],
      pcf: {
        declaredUnit: 'kilogram',
        unitaryProductAmount: '1',
        pCfExcludingBiogenic: '2',
        pCfIncludingBiogenic: '1.8',
        biogenicCarbonContent: '0.1',
        referencePeriodStart: '2025-01-01T00:00:00Z',
        referencePeriodEnd: '2026-01-01T00:00:00Z',
      },
    },
  ],
  products: [product('box'), product('insert')],
  boms: [
    {
      product: 'box',
      lines: [
        line('cardboard', 'material', '250', 'g'),
        line('steel', 'material', '0.1', 'kg'),
        line('insert', 'product', '2', 'piece'),
        line('urn:sup:glue', 'supplierProduct', '50', 'g'),
      ],
    },
    { product: 'insert', lines: [line('wood', 'material', '20', 'g')] },
  ],
};

const options: CalcOptions = {
  periodStart: '2026-11-02T06:00:00Z',
  periodEnd: '2026-11-02T10:00:00Z',
  method: 'location',
  gwpSet: 'AR6',
  shareKey: 'units',
  overheadKey: 'units',
};

function compute(rows: Rows, id = 'box'): ProductResult {
  const lines = new Map(rows.orders ? [['line-1', { windowMs: undefined, intervals: [] }]] : []);
  return computePeriod({ snapshot: snapshot(rows), lines, sites: new Map(), options }).product(id);
}
const withRows = (kind: ReferenceKind, rows: Record<string, unknown>[]): Rows => ({ ...BASE, [kind]: rows });
const names = (n: TraceNode | undefined): string[] => (n?.children ?? []).map((c) => c.name);
const biogenicNode = (r: ProductResult) =>
  r.trace().children?.find((c) => c.name === 'biogenic carbon content per declared unit');

describe('biogenic carbon through the bill of materials', () => {
  it('sums quantity × content through two levels, with units converted exactly (g → t, g → kg)', () => {
    const r = compute(BASE);
    // 0.00025 t × 410 + 2 × (0.02 kg × 0.5) + 0.05 kg × 0.1; steel is not biogenic
    expect(r.biogenic).toMatchObject({ source: 'bom' });
    expect(r.biogenic.carbonKg!.toString()).toBe('0.1275');
    // emissions 0.00025 × 95; removals 0.00025 × 1503.3 + 2 × 0.02 × 1.8333 + 0.05 × (2 − 1.8)
    expect(r.biogenic.emissionsKg!.toString()).toBe('0.02375');
    expect(r.biogenic.removalsKg!.toString()).toBe('0.459157');
    expect(r.warnings.filter((w) => w.includes('biogenic'))).toEqual([]);
    const node = biogenicNode(r)!;
    expect(node).toMatchObject({ value: '0.1275', unit: 'kg C/piece' });
    expect(names(node)).toEqual([
      'material cardboard (factor cb)',
      'product insert (from its BOM)',
      'supplier product urn:sup:glue (PACT glue-pcf v1)',
    ]);
    expect(node.children![0]).toMatchObject({
      value: '0.1025',
      formula:
        '0.00025 t × 410 kg C/t; emissions 0.00025 × 95 = 0.02375 kg CO2, removals 0.00025 × 1503.3 = 0.375825 kg CO2',
    });
  });

  it('per good unit made: flows carry the scrap as the PCF does, the content is what one unit holds', () => {
    const r = compute({
      ...BASE,
      orders: [
        {
          id: 'o-1',
          line: 'line-1',
          product: 'box',
          start: '2026-11-02T06:00:00Z',
          end: '2026-11-02T08:00:00Z',
          goodQuantity: '100',
          scrapQuantity: '4',
        },
      ],
    });
    expect(r.produced).toBe(true);
    expect(r.biogenic.carbonKg!.toString()).toBe('0.1275');
    expect(r.biogenic.emissionsKg!.toString()).toBe(new Dec('0.02375').times(104).div(100).toString());
    expect(r.biogenic.removalsKg!.toString()).toBe('0.47752328');
  });

  it('a biogenic material without a content is a warning, never a silent zero', () => {
    const bare = factor('cb', 'cardboard', 't', { biogenic: true });
    const rows = withRows('factors', [bare, ...BASE.factors!.slice(1)]);
    const partial = compute(rows);
    expect(partial.biogenic).toMatchObject({ source: 'bom', bom: { missing: ['material cardboard (factor cb)'] } });
    expect(partial.biogenic.carbonKg!.toString()).toBe('0.025');
    expect(partial.biogenic.emissionsKg).toBeUndefined(); // the cardboard's flows are unknown
    expect(partial.warnings).toContain(
      'box: material cardboard (factor cb) is biogenic but gives no biogenic carbon content; the biogenic carbon content 0.025 kg C per piece counts only the other components',
    );
    // with the product's own figure, that one is used, and the warning says so
    const declared = compute({
      ...rows,
      products: [product('box', { biogenicCarbonContentKgPerDeclaredUnit: '0.13' }), product('insert')],
    });
    expect(declared.biogenic).toMatchObject({ source: 'productData' });
    expect(declared.biogenic.carbonKg!.toString()).toBe('0.13');
    expect(declared.warnings).toContain(
      "box: material cardboard (factor cb) is biogenic but gives no biogenic carbon content; the product data's 0.13 kg C per piece is used",
    );
    // only the bare cardboard: nothing is known, and the warning names it
    const alone = compute({ ...rows, boms: [{ product: 'box', lines: [line('cardboard', 'material', '1', 'kg')] }] });
    expect(alone.biogenic.carbonKg).toBeUndefined();
    expect(alone.biogenic.source).toBe('none');
    expect(alone.warnings).toContain(
      'box: material cardboard (factor cb) is biogenic but gives no biogenic carbon content; no biogenic carbon content is known (give it in the factors or the product data)',
    );
  });

  it("a sub-product's missing content is its parent's too, named through it", () => {
    const rows = withRows('factors', [
      BASE.factors![0]!,
      factor('wood', 'wood', 'kg', { biogenic: true }),
      BASE.factors![2]!,
    ]);
    const r = compute(rows);
    expect(r.biogenic.bom.missing).toEqual(['material wood (factor wood) via insert']);
    expect(r.warnings.some((w) => w.startsWith('insert: material wood (factor wood) is biogenic'))).toBe(true);
    expect(r.warnings.some((w) => w.startsWith('box: material wood (factor wood) via insert is biogenic'))).toBe(true);
    expect(r.biogenic.warnings).toEqual(r.warnings.filter((w) => w.includes('biogenic')));
  });

  it("the BOM's value wins over the product data; a disagreement is a warning", () => {
    const r = compute(
      withRows('products', [product('box', { biogenicCarbonContentKgPerDeclaredUnit: '0.1' }), product('insert')]),
    );
    expect(r.biogenic.carbonKg!.toString()).toBe('0.1275');
    expect(r.warnings).toContain(
      "box: the BOM gives 0.1275 kg biogenic carbon per piece, the product data 0.1; the BOM's value is used",
    );
    const same = compute(
      withRows('products', [product('box', { biogenicCarbonContentKgPerDeclaredUnit: '0.12750' }), product('insert')]),
    );
    expect(same.biogenic.warnings).toEqual([]);
  });

  it('without biogenic data the product data stands (ADR 0195) and nothing is added to the derivation', () => {
    const rows: Rows = {
      ...BASE,
      products: [product('box', { biogenicCarbonContentKgPerDeclaredUnit: '0' })],
      boms: [{ product: 'box', lines: [line('steel', 'material', '1', 'kg')] }],
    };
    const r = compute(rows);
    expect(r.biogenic).toMatchObject({ source: 'productData', warnings: [] });
    expect(r.biogenic.emissionsKg).toBeUndefined();
    const none = compute({ ...rows, products: [product('box')] });
    expect(none.biogenic).toMatchObject({ source: 'none', warnings: [] });
    expect(biogenicNode(none)).toBeUndefined();
  });

  it('a BOM line whose unit does not fit the biogenic factor is refused, naming both units', () => {
    try {
      compute(withRows('boms', [{ product: 'box', lines: [line('cardboard', 'material', '1', 'kWh')] }]));
      throw new Error('expected ERR_UNIT');
    } catch (err) {
      expect(isPcfError(err) && err.code).toBe('ERR_UNIT');
      expect((err as Error).message).toMatch(/kWh.*t|t.*kWh/);
    }
  });
});
