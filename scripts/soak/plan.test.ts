import { COMPONENTS, FAULT_KINDS, faultsByKind, generatePlan, prng, renderPlan, type PlanOptions } from './plan';

const meters = {
  modbusDevices: ['panel-a', 'panel-b'],
  modbusMeters: ['line1-main', 'line2-feed-a'],
  opcuaMeters: ['line2-gas'],
};
const base: PlanOptions = { seed: 1, chaosStartMs: 15_000, chaosEndMs: 135_000, maxFaults: 12, meters, factor: 60 };

describe('chaos plan', () => {
  test('the PRNG is reproducible from its seed and differs between seeds', () => {
    const a = prng(42);
    const b = prng(42);
    const c = prng(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  test('same seed and options give the same plan; another seed another plan', () => {
    expect(generatePlan(base)).toEqual(generatePlan(base));
    expect(generatePlan({ ...base, seed: 2 })).not.toEqual(generatePlan(base));
  });

  test('bounded: at most maxFaults, every fault over inside the chaos window, sorted by time', () => {
    for (const seed of [1, 2, 3, 99, 12345]) {
      const plan = generatePlan({ ...base, seed, maxFaults: 30 });
      expect(plan.length).toBeLessThanOrEqual(30);
      expect(plan.length).toBeGreaterThan(20);
      for (const f of plan) {
        expect(f.atMs).toBeGreaterThanOrEqual(base.chaosStartMs);
        expect(f.atMs + f.durationMs).toBeLessThanOrEqual(base.chaosEndMs);
      }
      expect(plan.map((f) => f.atMs)).toEqual([...plan.map((f) => f.atMs)].sort((x, y) => x - y));
    }
  });

  test('every kind and every component kill appears when maxFaults allows; no two faults hold one target at once', () => {
    const plan = generatePlan({ ...base, maxFaults: 24 });
    expect(new Set(plan.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(new Set(plan.filter((f) => f.kind === 'kill').map((f) => f.target))).toEqual(new Set(COMPONENTS));
    const holds = (f: (typeof plan)[number]): string[] =>
      f.kind === 'clockJump' ? ['line-aggregator', 'stream-exporter'] : [f.target];
    for (const a of plan) {
      for (const b of plan) {
        if (a === b || !holds(a).some((t) => holds(b).includes(t))) continue;
        expect(a.atMs + a.durationMs <= b.atMs || b.atMs + b.durationMs <= a.atMs).toBe(true);
      }
    }
    const counts = faultsByKind(plan);
    expect(Object.values(counts).reduce((s, n) => s + n, 0)).toBe(plan.length);
    expect(renderPlan(plan, 1)).toContain(`seed 1, ${plan.length} faults`);
  });

  test('an empty chaos window is refused', () => {
    expect(() => generatePlan({ ...base, chaosEndMs: base.chaosStartMs })).toThrow(/chaos window is empty/);
  });
});
