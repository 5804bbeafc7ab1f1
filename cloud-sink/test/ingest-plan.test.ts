import fc from 'fast-check';
import { decodeRollups } from '../src/ingest/quantities';
import { ingestPlan } from '../src/store/rollup-rows';
import type { DecodedRollup } from '../src/store/repository';
import { lineRollup } from './helpers';

/** The plan as its definition reads: inserting the rollups in turn into a history keyed (id, revision), first kept;
 * applying them in turn to a view keyed id, highest revision kept (first of equal ones); both sorted by id, revision. */
function byDefinition(rollups: DecodedRollup[]) {
  const history = new Map<string, DecodedRollup>();
  const current = new Map<string, DecodedRollup>();
  for (const d of rollups) {
    const key = `${d.rollup.id}@${d.rollup.revision}`;
    if (!history.has(key)) history.set(key, d);
    const cur = current.get(d.rollup.id);
    if (!cur || d.rollup.revision > cur.rollup.revision) current.set(d.rollup.id, d);
  }
  const order = (a: DecodedRollup, b: DecodedRollup) =>
    a.rollup.id < b.rollup.id ? -1 : a.rollup.id > b.rollup.id ? 1 : a.rollup.revision - b.rollup.revision;
  const view = (ds: DecodedRollup[]) =>
    ds.sort(order).map((d) => [d.rollup.id, d.rollup.revision, d.electricityMicroKWh, JSON.stringify(d.rollup)]);
  return { history: view([...history.values()]), current: view([...current.values()]) };
}

const planView = (rows: ReturnType<typeof ingestPlan>['history']) =>
  rows.map((r) => [r.id, r.revision, r.electricityMicroKWh, r.doc]);

describe('one write’s plan: history rows and current-view rows', () => {
  test('equals the rows inserted and applied in turn, for any order, duplicates and revisions', () => {
    // a few windows of two lines, revisions 1–3, values that tell copies of one (id, revision) apart
    const rollup = fc
      .record({
        line: fc.constantFrom('line-a', 'line-b'),
        quarter: fc.integer({ min: 0, max: 3 }),
        revision: fc.integer({ min: 1, max: 3 }),
        kWh: fc.integer({ min: 0, max: 5 }),
      })
      .map((x) =>
        lineRollup(x.line, new Date(Date.UTC(2026, 0, 1, 0, 15 * x.quarter)).toISOString(), x.revision, x.kWh),
      );
    fc.assert(
      fc.property(fc.array(rollup, { maxLength: 40 }), (rollups) => {
        const decoded = decodeRollups(rollups);
        const plan = ingestPlan(decoded, 1);
        const want = byDefinition(decoded);
        expect(planView(plan.history)).toEqual(want.history);
        expect(planView(plan.current)).toEqual(want.current);
        // every current row is one of the history's rows, built once
        for (const row of plan.current) expect(plan.history).toContain(row);
      }),
      { numRuns: 500 },
    );
  });

  test('an empty write plans nothing', () => {
    expect(ingestPlan([], 1)).toEqual({ history: [], current: [] });
  });
});
