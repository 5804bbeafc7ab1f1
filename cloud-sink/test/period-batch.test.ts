import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@pcf-edge/core';
import { Dec, present } from '@pcf-edge/pcf-engine';
import { verifyAudit } from '../src/audit/verify';
import { runCli } from '../src/cli/run';
import { decodeRollups } from '../src/ingest/quantities';
import { importReferenceFile } from '../src/reference/import';
import { demoRollups } from '../src/service/demo-rollups';
import { monthPeriod, previousMonth, type PeriodRunReport } from '../src/service/period-batch';
import type { ProductResultDoc } from '../src/service/result-doc';
import { cliStores, type CliStore } from './pg-support';
import { loadDemo } from './helpers';

/**
 * `cloud-sink recompute --period` (issue 22 item 7) on SQLite and PostgreSQL, through the CLI: every product made in
 * the month computed, stored and published; a second run over the same data stores and publishes nothing (ADR 0234);
 * a revised window makes the next run report the change versus the last run; progress on a terminal and off it;
 * precise usage errors that leave the store as it was.
 */

const stores = cliStores('period batch');

const PRODUCTS = ['housing', 'steel-sheet', 'widget'];

describe('month periods', () => {
  it('names a calendar month in UTC, and the month before an instant', () => {
    expect(monthPeriod('2026-11')).toEqual({
      label: '2026-11',
      periodStart: '2026-11-01T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
    });
    expect(monthPeriod('2026-12').periodEnd).toBe('2027-01-01T00:00:00.000Z');
    expect(previousMonth(Date.parse('2027-01-02T03:00:00Z'))).toEqual(monthPeriod('2026-12'));
  });
});

describe.each(stores)('recompute --period (%s)', (_name, open) => {
  let s: CliStore;
  beforeEach(async () => {
    s = await open();
    await loadDemo(s.repo);
  });
  afterEach(async () => {
    await s.dispose();
  });
  const cli = async (args: string[], tty = false) => {
    const out: string[] = [],
      err: string[] = [],
      progress: string[] = [];
    const code = await runCli([...args, ...s.args], {
      out: (x) => out.push(x),
      err: (x) => err.push(x),
      log: silentLogger(),
      onSignal: () => undefined,
      env: s.env,
      progress: { tty, write: (x) => progress.push(x) },
    });
    return { code, out: out.join('\n'), err: err.join('\n'), progress };
  };
  const period = (...extra: string[]) => cli(['recompute', '--period', '2026-11', '--gwp', 'AR5', ...extra]);
  const json = async (...extra: string[]) => {
    const r = await period('--json', ...extra);
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as PeriodRunReport & { published: { id: string }[]; events: number };
  };

  it('computes, stores and publishes every product of the month; a second run changes nothing', async () => {
    const first = await period();
    expect(first.code).toBe(0);
    expect(first.progress).toEqual([
      'recompute 2026-11: 1/3 products',
      'recompute 2026-11: 2/3 products',
      'recompute 2026-11: 3/3 products',
    ]);
    const results = await s.repo.listResults();
    expect(results.map((r) => r.subject).sort()).toEqual(PRODUCTS);
    for (const r of results)
      expect(r).toMatchObject({
        periodStart: '2026-11-01T00:00:00.000Z',
        periodEnd: '2026-12-01T00:00:00.000Z',
        method: 'location',
        gwpSet: 'AR5',
      });
    const widget = results.find((r) => r.subject === 'widget')!;
    const pcf = present(new Dec((widget.result as ProductResultDoc).pcfPerDeclaredUnit), 6);
    expect(first.out).toContain(`  widget       new        ${pcf} kgCO2e/piece  result ${widget.id}`);
    expect(first.out).toMatch(
      /^recompute 2026-11 \(2026-11-01T00:00:00.000Z – 2026-12-01T00:00:00.000Z; location-based, AR5, share units, overhead units\) versus the last run:/,
    );
    const published = (await s.repo.listFootprintVersions()).length;
    expect(published).toBeGreaterThan(0);
    expect(first.out).toMatch(
      new RegExp(`\\n3 products: 3 new, 0 changed, 0 unchanged, 0 failed; ${published} footprint versions published`),
    );

    const again = await json();
    expect(again.counts).toEqual({ new: 0, changed: 0, unchanged: 3, failed: 0 });
    expect(again.products.map((p) => [p.product, p.status, p.resultId])).toEqual(
      PRODUCTS.map((p) => [p, 'unchanged', results.find((r) => r.subject === p)!.id]),
    );
    expect(again.published).toEqual([]);
    expect(await s.repo.listResults()).toHaveLength(3);
    expect(await s.repo.listFootprintVersions()).toHaveLength(published);
    expect((await verifyAudit(s.repo)).ok).toBe(true);
  });

  it('reports a revised window as a change versus the last run, with the difference', async () => {
    const before = await json();
    const widgetBefore = before.products.find((p) => p.product === 'widget')!;
    const w = demoRollups().find((r) => r.type === 'line' && r.line === 'line-2')!;
    await s.repo.ingest({
      rollups: decodeRollups([{ ...w, revision: 2, electricityKWh: w.electricityKWh + 8 }]),
      deadLetters: [],
    });
    const text = await period();
    expect(text.code).toBe(0);
    const after = await s.repo.listResults();
    const stored = after.at(-1)!;
    expect(stored.subject).toBe('widget');
    const now = new Dec((stored.result as ProductResultDoc).pcfPerDeclaredUnit);
    const was = new Dec(widgetBefore.pcf!);
    const delta = now.minus(was);
    expect(delta.isPositive()).toBe(true);
    const pct = delta.div(was).times(100);
    expect(text.out).toContain(
      `  widget       changed    ${present(was, 6)} → ${present(now, 6)} kgCO2e/piece (+${present(delta, 6)} kgCO2e/piece, +${present(pct, 4)} %)  result ${stored.id}`,
    );
    expect(text.out).toContain('  steel-sheet  unchanged');
    expect(text.out).toMatch(/\n3 products: 0 new, 1 changed, 2 unchanged, 0 failed; /);
    // the JSON of the next run: nothing new since
    const third = await json();
    expect(third.counts).toEqual({ new: 0, changed: 0, unchanged: 3, failed: 0 });
    expect(third.products.find((p) => p.product === 'widget')!.resultId).toBe(stored.id);
    expect((await verifyAudit(s.repo)).ok).toBe(true);
  });

  it('reports changes with their exact difference in JSON, per set of options', async () => {
    const location = await json();
    const market = await json('--method', 'market');
    expect(market.counts.new).toBe(3); // another method is another run
    expect(market.options).toMatchObject({ method: 'market', gwpSet: 'AR5', shareKey: 'units', overheadKey: 'units' });
    expect(location.products.every((p) => p.status === 'new' && p.changePercent === undefined)).toBe(true);
    expect(await s.repo.listResults()).toHaveLength(6);
  });

  it('draws a progress bar on a terminal', async () => {
    const r = await cli(['recompute', '--period', '2026-11', '--json'], true);
    expect(r.progress).toHaveLength(4);
    expect(r.progress.at(-1)).toBe('\n');
    expect(r.progress[0]).toBe('\r\x1b[2Krecompute 2026-11 [##########--------------------] 1/3 housing');
    expect(r.progress[2]).toBe('\r\x1b[2Krecompute 2026-11 [##############################] 3/3 widget');
  });

  it('reports a product that fails, stores the others and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'period-batch-'));
    // the cardboard factor (widget's packaging) no longer valid in November: widget has no factor for it
    const file = join(dir, 'factors.json');
    const factors = JSON.parse(readFileSync(join(__dirname, '../examples/demo-factory/factors.json'), 'utf8')) as {
      id: string;
      validTo: string | null;
    }[];
    writeFileSync(
      file,
      JSON.stringify(factors.map((f) => (f.id === 'demo-cardboard' ? { ...f, validTo: '2024-01-01' } : f))),
    );
    try {
      await importReferenceFile(s.repo, 'factors', file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = await period();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\n  widget       failed     ERR_[A-Z_]+: .*cardboard/);
    expect(r.out).toMatch(/\n3 products: 2 new, 0 changed, 0 unchanged, 1 failed; /);
    expect((await s.repo.listResults()).map((x) => x.subject).sort()).toEqual(['housing', 'steel-sheet']);
  });

  it('runs a month without production as an empty batch', async () => {
    const r = await cli(['recompute', '--period', '2026-10']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/\n0 products: 0 new, 0 changed, 0 unchanged, 0 failed; 0 footprint versions published/);
  });

  it('refuses bad input with precise usage errors and leaves the store as it was', async () => {
    await period();
    const results = await s.repo.listResults();
    const cases: [string[], string][] = [
      [['--period', '2026-13'], "recompute: --period '2026-13': month 13 is not between 01 and 12"],
      [['--period', 'nov'], "recompute: --period 'nov' is not a month written YYYY-MM (e.g. 2026-11)"],
      [['--period', '2026-1'], "recompute: --period '2026-1' is not a month written YYYY-MM (e.g. 2026-11)"],
      [
        ['--stale', '--period', '2026-11'],
        'recompute: --stale and --period 2026-11 exclude each other: --stale recomputes stale results of any period, --period every product of one month (see --help)',
      ],
      [[], 'recompute: --stale or --period <YYYY-MM> is required (see --help)'],
      [
        ['--period', '2026-11', '--threshold-percent', '1'],
        'recompute: --threshold-percent applies only with --stale (see --help)',
      ],
      [['--stale', '--gwp', 'AR5'], 'recompute: --gwp applies only with --period (see --help)'],
      [['--period', '2026-11', '--gwp', 'AR3'], "recompute: --gwp must be one of AR4, AR5, AR6 (got 'AR3')"],
    ];
    for (const [args, message] of cases)
      expect(await cli(['recompute', ...args])).toMatchObject({ code: 2, err: `error ERR_USAGE: ${message}` });
    expect(await s.repo.listResults()).toEqual(results);
  });
});

describe('recompute --help', () => {
  it('documents --period, its summary, progress and idempotence', async () => {
    const out: string[] = [];
    const code = await runCli(['recompute', '--help'], {
      out: (x) => out.push(x),
      err: () => undefined,
      log: silentLogger(),
      onSignal: () => undefined,
    });
    expect(code).toBe(0);
    const help = out.join('\n');
    for (const words of ['--period <YYYY-MM>', 'unchanged', 'changed', 'failed', '--json', 'exclude each other'])
      expect(help).toContain(words);
  });
});
