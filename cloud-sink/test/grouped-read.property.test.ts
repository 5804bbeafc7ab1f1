import { isPcfError, rollupId, type LineRollup, type SiteRollup } from '@pcf-edge/core';
import { ALLOCATION_KEYS, computePeriod, type CalcOptions } from '@pcf-edge/pcf-engine';
import fc from 'fast-check';
import { canonicalJson } from '../src/audit/hash';
import { decodeRollups } from '../src/ingest/quantities';
import { importParsed } from '../src/reference/import';
import { IMPORT_ORDER } from '../src/service/demo';
import { PcfService } from '../src/service/pcf-service';
import { productResultDoc } from '../src/service/result-doc';
import type { CloudSinkRepository } from '../src/store/repository';
import { openSqliteRepository } from '../src/store/sqlite';
import { openPgInFreshSchema, PG_URL, pgSkipNotice } from './pg-support';
import { windowByWindow } from './row-wise';

/**
 * Property: for arbitrary windows (5- or 15-minute, missing, estimated, partial coverage, gas by volume or energy,
 * values of any size and number of decimals), orders (overlapping, zero good units, crossing windows and the period)
 * and factor spans (an electricity mapping and a gas factor changing anywhere, mid-window included), a calculation
 * from the store's energy read (whole windows summed by SQL) equals the calculation from every window read on its own,
 * digit for digit: documents, derivations and balances — or both fail with the same error code.
 */
const DAY = Date.parse('2026-03-02T00:00:00Z');
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const SPAN = 6 * H;

const kWh = fc.oneof(
  fc.integer({ min: 0, max: 50_000_000 }).map((n) => n / 1e6), // up to 50 kWh, 6 decimals
  fc.integer({ min: 0, max: 50_000 }).map((n) => n / 1e3),
  fc.double({ min: 0, max: 1e6, noNaN: true }), // any number of decimals
  fc.constantFrom(0, 1e9, 1.2345678, 0.0000005),
);
const windowArb = fc.record({
  elec: kWh,
  gas: fc.option(kWh, { freq: 2 }),
  m3: kWh,
  estimated: fc.boolean(),
  coverage: fc.constantFrom(1, 1, 1, 0.5, 0.8),
});
const orderArb = fc.record({
  line: fc.constantFrom('line-1', 'line-2'),
  product: fc.constantFrom('a', 'b'),
  start: fc.integer({ min: -H, max: SPAN }),
  minutes: fc.integer({ min: 1, max: 240 }),
  good: fc.integer({ min: 0, max: 500 }),
  scrap: fc.integer({ min: 0, max: 10 }),
});
const caseArb = fc.record({
  windowMs: fc.constantFrom(300_000, 900_000),
  other: fc.boolean(),
  lines: fc.tuple(
    fc.array(fc.option(windowArb, { freq: 5 }), { minLength: 80, maxLength: 80 }),
    fc.array(fc.option(windowArb, { freq: 5 }), { minLength: 80, maxLength: 80 }),
  ),
  baseload: fc.array(fc.option(kWh, { freq: 5 }), { minLength: 80, maxLength: 80 }),
  orders: fc.array(orderArb, { maxLength: 7 }),
  mappingBound: fc.option(fc.integer({ min: 1, max: SPAN - 1 })),
  gasBound: fc.option(fc.integer({ min: 1, max: SPAN - 1 })),
  gasByVolume: fc.boolean(),
  from: fc.integer({ min: -H, max: 3 * H }),
  minutes: fc.integer({ min: 1, max: 7 * 60 }),
  shareKey: fc.constantFrom(...ALLOCATION_KEYS),
  overheadKey: fc.constantFrom(...ALLOCATION_KEYS),
  forced: fc.boolean(),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function reference(c: Case): Record<string, Record<string, unknown>[]> {
  // electricity factors of several regions (one per region may be valid at a time); mappings name them by id
  const factor = (
    id: string,
    activity: string,
    unit: string,
    basis: string | null,
    co2: string,
    from: string,
    to: string | null,
  ) => ({
    id,
    activity,
    region: activity === 'electricity' ? `GB-${id}` : 'GB',
    unit,
    energyBasis: basis,
    components: { CO2: co2, CH4: '0.0001' },
    source: 's',
    version: '1',
    validFrom: from,
    validTo: to,
  });
  const mb = c.mappingBound === null ? null : iso(DAY + c.mappingBound);
  const gb = c.gasBound === null ? null : iso(DAY + c.gasBound);
  const gasUnit = c.gasByVolume ? 'm3' : 'kWh';
  const gasBasis = c.gasByVolume ? null : 'gross';
  const mapping = (id: string, from: string, to: string | null, f: string) => ({
    id,
    site: 'plant-1',
    validFrom: from,
    validTo: to,
    locationFactorId: f,
    marketFactorId: 'green',
    marketInstrument: 'residual-mix',
    provenance: 'p',
  });
  return {
    sites: [{ id: 'plant-1', region: 'GB' }],
    lines: [
      { id: 'line-1', site: 'plant-1' },
      { id: 'line-2', site: 'plant-1' },
    ],
    products: ['a', 'b'].map((id, i) => ({
      id,
      declaredUnit: 'piece',
      unitaryProductAmount: '1',
      massKgPerDeclaredUnit: String(1 + i * 1.5),
      economicValuePerDeclaredUnit: String(10 + i * 7),
      productIds: [`urn:p:${id}`],
    })),
    factors: [
      factor('grid-1', 'electricity', 'kWh', null, '0.207074289', '2020-01-01', null),
      factor('grid-2', 'electricity', 'MWh', null, '199.3', '2020-01-01', null),
      factor('green', 'electricity', 'kWh', null, '0.05', '2020-01-01', null),
      factor('gas-1', 'natural-gas', gasUnit, gasBasis, '0.18', '2020-01-01', gb),
      ...(gb ? [factor('gas-2', 'natural-gas', gasUnit, gasBasis, '0.1834', gb, null)] : []),
    ],
    electricity: mb
      ? [mapping('m-1', '2020-01-01', mb, 'grid-1'), mapping('m-2', mb, null, 'grid-2')]
      : [mapping('m-1', '2020-01-01', null, 'grid-1')],
    orders: c.orders.map((o, i) => ({
      id: `o-${i}`,
      line: o.line,
      product: o.product,
      start: iso(DAY + o.start),
      end: iso(DAY + o.start + o.minutes * 60_000),
      goodQuantity: String(o.good),
      scrapQuantity: String(o.scrap),
    })),
  };
}

function rollups(c: Case): (LineRollup | SiteRollup)[] {
  const out: (LineRollup | SiteRollup)[] = [];
  const lengths = c.other ? [c.windowMs, c.windowMs === 300_000 ? 900_000 : 300_000] : [c.windowMs];
  for (const windowMs of lengths) {
    const n = Math.min(80, Math.ceil((SPAN + 2 * H) / windowMs));
    for (let i = 0; i < n; i++) {
      const ws = DAY - H + i * windowMs;
      const common = { revision: 1, site: 'plant-1', windowStart: iso(ws), windowMs, flags: [] as string[] };
      c.lines.forEach((windows, li) => {
        const w = windows[i];
        if (!w) return;
        const line = `line-${li + 1}`;
        out.push({
          ...common,
          id: rollupId({ type: 'line', site: 'plant-1', line, windowMs, windowStartMs: ws }),
          type: 'line',
          line,
          coverage: w.coverage,
          estimated: w.estimated,
          electricityKWh: w.elec,
          gasKWh: w.gas ?? 0,
          gasM3: w.gas === null ? 0 : w.m3,
          gasCvBasis: w.gas === null ? null : 'gross',
          unitsGood: 0,
          unitsScrap: 0,
          kWhPerUnit: null,
          meters: ['m'],
        });
      });
      const b = c.baseload[i];
      if (b !== null && b !== undefined)
        out.push({
          ...common,
          id: rollupId({ type: 'site', site: 'plant-1', windowMs, windowStartMs: ws }),
          type: 'site',
          coverage: 1,
          estimated: false,
          electricityKWh: b,
          baseloadKWh: b,
          gasM3: 0,
          gasKWh: 0,
          gasCvBasis: null,
          unitsGood: 0,
          unitsScrap: 0,
          lines: ['line-1', 'line-2'],
        });
    }
  }
  return out;
}

/** Both ways for products a and b: the same documents, derivations and balances, or the same error code. */
async function check(repo: CloudSinkRepository, c: Case): Promise<void> {
  const data = reference(c);
  for (const kind of IMPORT_ORDER) {
    const rows = data[kind];
    if (rows) await importParsed(repo, kind, { rows, text: JSON.stringify(rows), headerErrors: [] }, 'property');
  }
  await repo.ingest({ rollups: decodeRollups(rollups(c)), deadLetters: [] });
  const options: CalcOptions = {
    periodStart: iso(DAY + c.from),
    periodEnd: iso(DAY + c.from + c.minutes * 60_000),
    method: 'location',
    gwpSet: 'AR6',
    shareKey: c.shareKey,
    overheadKey: c.overheadKey,
    ...(c.forced ? { windowMs: c.windowMs } : {}),
  };
  const loaded = await new PcfService(repo).load(options, 'all', { list: true });
  const outcome = (input: typeof loaded.input) => {
    try {
      const calc = computePeriod(input);
      return canonicalJson({
        balances: calc.balances,
        products: ['a', 'b'].map((p) => [productResultDoc(calc, calc.product(p)), calc.product(p).trace()]),
      });
    } catch (err) {
      if (isPcfError(err)) return `error ${err.code}`;
      throw err;
    }
  };
  expect(outcome(loaded.input)).toBe(outcome(windowByWindow(loaded)));
}

const RUNS = Number(process.env.FC_RUNS ?? 60);

describe('energy read: sums of whole windows equal every window on its own (property)', () => {
  it('on SQLite', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const repo = openSqliteRepository({ file: ':memory:' });
        try {
          await check(repo, c);
        } finally {
          await repo.close();
        }
      }),
      { numRuns: RUNS },
    );
  });

  const url = PG_URL;
  if (url === undefined) {
    pgSkipNotice('energy read property');
    it.skip('on PostgreSQL (PCF_EDGE_TEST_DATABASE_URL unset)', () => undefined);
  } else
    it('on PostgreSQL', async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const pg = await openPgInFreshSchema(url);
          try {
            await check(pg.repo, c);
          } finally {
            await pg.dispose();
          }
        }),
        { numRuns: Math.max(5, Math.round(RUNS / 4)) },
      );
    }, 120_000);
});
