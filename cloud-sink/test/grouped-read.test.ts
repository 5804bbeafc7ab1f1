import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rollupId, type LineRollup, type SiteRollup } from '@pcf-edge/core';
import { computePeriod, type CalcOptions } from '@pcf-edge/pcf-engine';
import { canonicalJson } from '../src/audit/hash';
import { decodeRollups } from '../src/ingest/quantities';
import { DEMO_DIR, importDirectory } from '../src/service/demo';
import { PcfService } from '../src/service/pcf-service';
import { productResultDoc } from '../src/service/result-doc';
import { tempDb, type TempDb } from './helpers';
import { windowByWindow } from './row-wise';

/**
 * The energy read (ADR 0180) against reading every window on its own: for every product, period and option set, the
 * result documents, traces and balances must be identical, digit for digit. The data is built to hit every boundary
 * case: orders starting and ending inside windows, overlapping orders, idle gaps, an electricity mapping and a gas
 * factor changing inside the period (mid-window and on a window bound), estimated windows, coverage below 1, missing
 * windows, 5- and 15-minute windows on one line, a value with 7 decimals, and periods that start and end inside
 * windows. (grouped-read.property.test.ts does the same for arbitrary data.)
 */
const DAY = Date.parse('2026-11-02T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const at = (hhmm: string) => `2026-11-02T${hhmm}:00Z`;

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function rollups(): (LineRollup | SiteRollup)[] {
  const rnd = prng(7);
  const v3 = (max: number) => Math.round(rnd() * max * 1000) / 1000;
  const out: (LineRollup | SiteRollup)[] = [];
  const common = (ws: number, windowMs: number) => ({
    revision: 1,
    site: 'plant-1',
    windowStart: iso(ws),
    windowMs,
    flags: [] as string[],
  });
  const line = (l: string, ws: number, windowMs: number, extra: Partial<LineRollup>): LineRollup => ({
    ...common(ws, windowMs),
    id: rollupId({ type: 'line', site: 'plant-1', line: l, windowMs, windowStartMs: ws }),
    type: 'line',
    line: l,
    coverage: 1,
    estimated: false,
    electricityKWh: 0,
    gasKWh: 0,
    gasM3: 0,
    gasCvBasis: null,
    unitsGood: 0,
    unitsScrap: 0,
    kWhPerUnit: null,
    meters: [`${l}-main`],
    ...extra,
  });
  for (let i = 0; i < 96; i++) {
    const ws = DAY + i * 900_000;
    if (i === 30 || i === 31 || i === 70) continue; // missing windows
    const gas = i % 5 === 0 ? 0 : v3(9);
    out.push(
      line('line-1', ws, 900_000, {
        electricityKWh: i % 11 === 0 ? 0 : v3(40),
        gasKWh: gas,
        gasM3: gas > 0 ? v3(1) : 0,
        gasCvBasis: gas > 0 ? 'gross' : null,
        estimated: i % 13 === 4,
        coverage: i % 17 === 3 ? 0.8 : 1,
      }),
    );
    out.push(
      line('line-2', ws, 900_000, { electricityKWh: v3(25), estimated: i % 7 === 2, coverage: i % 19 === 5 ? 0.5 : 1 }),
    );
    out.push({
      ...common(ws, 900_000),
      id: rollupId({ type: 'site', site: 'plant-1', windowMs: 900_000, windowStartMs: ws }),
      type: 'site',
      coverage: 1,
      estimated: false,
      electricityKWh: 60,
      baseloadKWh: i % 9 === 0 ? 0 : v3(4),
      gasM3: 0,
      gasKWh: 0,
      gasCvBasis: null,
      unitsGood: 0,
      unitsScrap: 0,
      lines: ['line-1', 'line-2'],
    });
  }
  // line-2 also reports 5-minute windows from 12:00 to 18:00; in the afternoon one of them is not short
  for (let ws = DAY + 12 * 3_600_000; ws < DAY + 18 * 3_600_000; ws += 300_000) {
    out.push(line('line-2', ws, 300_000, { electricityKWh: ws === DAY + 15 * 3_600_000 ? 1.2345678 : v3(8) }));
  }
  return out;
}

describe('the energy read: sums of whole windows (ADR 0180)', () => {
  let t: TempDb;
  beforeAll(async () => {
    t = tempDb();
    const dir = join(t.dir, 'ref');
    cpSync(DEMO_DIR, dir, { recursive: true });
    const append = (file: string, lines: string[]) =>
      writeFileSync(join(dir, file), `${readFileSync(join(dir, file), 'utf8').trimEnd()}\n${lines.join('\n')}\n`);
    append('orders.csv', [
      `o-103,line-1,housing,${at('08:30')},${at('09:40')},60,1`, // overlaps o-102
      `o-104,line-1,steel-sheet,${at('12:07')},${at('15:52')},500,4`,
      `o-105,line-1,housing,${at('15:52')},${at('19:00')},80,0`,
      `o-203,line-2,widget,${at('11:03')},${at('13:31')},30,0`,
      `o-204,line-2,widget,${at('14:00')},${at('17:45')},40,2`,
      `o-205,line-2,widget,${at('17:00')},${at('21:10')},35,1`, // overlaps o-204
    ]);
    const elec = readFileSync(join(dir, 'electricity.csv'), 'utf8').trimEnd().split('\n');
    // the mapping changes at 13:40 (inside a window) and again at 16:00 (on a window bound)
    elec[1] = elec[1]!.replace('2023-01-01,,', `2023-01-01,${at('13:40')},`);
    elec.push(
      elec[1]!
        .replace('plant-1-2023', 'plant-1-b')
        .replace(`2023-01-01,${at('13:40')},`, `${at('13:40')},${at('16:00')},`),
    );
    elec.push(elec[1]!.replace('plant-1-2023', 'plant-1-c').replace(`2023-01-01,${at('13:40')},`, `${at('16:00')},,`));
    writeFileSync(join(dir, 'electricity.csv'), `${elec.join('\n')}\n`);
    const factors = JSON.parse(readFileSync(join(dir, 'factors.json'), 'utf8')) as {
      id: string;
      activity: string;
      validFrom: string;
      validTo?: string | null;
    }[];
    const gas = factors.find((f) => f.activity === 'natural-gas')!;
    factors.push({ ...gas, id: `${gas.id}-late`, validFrom: at('10:10') });
    gas.validTo = at('10:10');
    writeFileSync(join(dir, 'factors.json'), JSON.stringify(factors));
    await importDirectory(t.repo, dir);
    await t.repo.ingest({ rollups: decodeRollups(rollups()), deadLetters: [] });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const base: CalcOptions = {
    periodStart: iso(DAY),
    periodEnd: iso(DAY + 86_400_000),
    method: 'location',
    gwpSet: 'AR6',
    shareKey: 'units',
    overheadKey: 'mass',
  };
  const cases: [string, Partial<CalcOptions>][] = [
    [
      'a period where arithmetics 1 and 2 of ADR 0145 differed',
      { periodStart: '2026-11-02T05:22:24.000Z', periodEnd: '2026-11-02T10:00:24.000Z', shareKey: 'machineTime' },
    ],
    ['the whole day', {}],
    ['06:00–10:00 (the demo orders, overlapping o-102/o-103)', { periodStart: at('06:00'), periodEnd: at('10:00') }],
    [
      'a period starting and ending inside windows',
      { periodStart: at('06:10'), periodEnd: at('16:50'), method: 'market' },
    ],
    ['machine time and economic keys, AR4', { shareKey: 'machineTime', overheadKey: 'units', gwpSet: 'AR4' }],
    [
      '15-minute windows forced (the 5-minute ones are ignored)',
      { windowMs: 900_000, periodStart: at('11:00'), periodEnd: at('20:00') },
    ],
    ['the afternoon (5-minute windows, one with 7 decimals)', { periodStart: at('12:00'), periodEnd: at('18:00') }],
  ];

  it.each(cases)('gives the documents of reading every window on its own: %s', async (_name, o) => {
    const options = { ...base, ...o };
    const loaded = await new PcfService(t.repo).load(options, 'all', { list: true });
    const grouped = computePeriod(loaded.input),
      single = computePeriod(windowByWindow(loaded));
    const intervals = [...loaded.input.lines.values()].flatMap((e) => e.intervals);
    expect(intervals.some((iv) => iv.windows > 1)).toBe(true);
    expect(intervals.length).toBeLessThan(loaded.rollups!.length);
    expect(grouped.balances).toEqual(single.balances);
    for (const p of ['widget', 'housing', 'steel-sheet']) {
      expect(canonicalJson(productResultDoc(grouped, grouped.product(p)))).toBe(
        canonicalJson(productResultDoc(single, single.product(p))),
      );
      expect(grouped.product(p).trace()).toEqual(single.product(p).trace());
    }
  });

  it('reads a value with 7 decimals as its decoded micro-units on both ways', async () => {
    const options = { ...base, periodStart: at('15:00'), periodEnd: at('15:05') };
    const loaded = await new PcfService(t.repo).load(options, ['widget'], { list: true });
    expect(loaded.rollups!.find((r) => r.line === 'line-2')!.electricityMicroKWh).toBe(1_234_568);
    expect(loaded.input.lines.get('line-2')!.intervals.map((iv) => iv.electricity)).toEqual([1_234_568n]);
  });
});
