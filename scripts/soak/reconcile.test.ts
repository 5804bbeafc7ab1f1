import {
  reconcile,
  type CloudLineWindow,
  type EnergyQuantity,
  type LineDiscontinuity,
  type ReconcileInput,
  type RollupRef,
} from './reconcile';

/**
 * A tiny world: one line drawing 60 kWh/h (1 kWh per minute) and 6 m³/h of gas (0.1 m³ per minute) over 10
 * one-minute windows. The cloud and the gateway agree unless a test breaks them.
 */
const MIN = 60_000;
const T0 = Date.parse('2026-11-02T08:00:00Z');
const N = 10;

function window(i: number, over: Partial<CloudLineWindow> = {}): CloudLineWindow {
  return {
    id: `w${i}`,
    revision: 0,
    line: 'line-1',
    windowStartMs: T0 + i * MIN,
    windowMs: MIN,
    electricityKWh: 1,
    gasM3: 0.1,
    coverage: 1,
    estimated: false,
    flags: [],
    ...over,
  };
}

function world(edit: (windows: CloudLineWindow[]) => void = () => undefined): ReconcileInput {
  const windows = Array.from({ length: N }, (_, i) => window(i));
  edit(windows);
  const refs = (ws: CloudLineWindow[]): RollupRef[] =>
    ws.map((w) => ({
      id: w.id,
      revision: w.revision,
      type: 'line',
      line: w.line,
      windowStartMs: w.windowStartMs,
      windowMs: w.windowMs,
    }));
  return {
    lines: ['line-1'],
    fromMs: T0,
    toMs: T0 + N * MIN,
    windowMs: MIN,
    truthAt: (t): Record<EnergyQuantity, number> => ({ electricityKWh: (t - T0) / MIN, gasM3: ((t - T0) / MIN) * 0.1 }),
    cloudLines: windows,
    gateway: refs(Array.from({ length: N }, (_, i) => window(i))),
    cloud: refs(windows),
    windowTolerance: () => 0.01,
    edgeTolerance: () => 0.005,
  };
}

const elec = (r: ReturnType<typeof reconcile>) => r.energy.find((e) => e.quantity === 'electricityKWh')!;

describe('soak reconciliation', () => {
  test('a cloud that matches the truth and the gateway passes', () => {
    const r = reconcile(world());
    expect(r.failures).toEqual([]);
    expect(elec(r)).toMatchObject({ cloud: 10, truth: 10, clean: 10, flagged: 0, missing: 0, unexplained: 0 });
  });

  test('energy moved between windows by a gap spread (estimated) is explained; the total still has to add up', () => {
    const moved = reconcile(
      world((ws) => {
        Object.assign(ws[3]!, { electricityKWh: 0.2, estimated: true, coverage: 0.2, flags: ['gap'] });
        Object.assign(ws[4]!, { electricityKWh: 1.8, estimated: true, coverage: 0.5, flags: ['gap'] });
      }),
    );
    expect(moved.failures).toEqual([]);
    expect(elec(moved)).toMatchObject({ flagged: 2, unexplained: 0 });
    const lostInGap = reconcile(
      world((ws) => Object.assign(ws[3]!, { electricityKWh: 0.2, estimated: true, flags: ['gap'] })),
    );
    expect(elec(lostInGap).unexplained).toBeCloseTo(0.8 - 0.01, 6);
    expect(lostInGap.failures.join('\n')).toMatch(/line-1 electricityKWh: .* unexplained/);
  });

  test('energy lost at a counter reset is explained by the window flagged reset', () => {
    const r = reconcile(world((ws) => Object.assign(ws[5]!, { electricityKWh: 0.4, flags: ['reset'] })));
    expect(r.failures).toEqual([]);
    expect(elec(r)).toMatchObject({ lossAllowance: 1 });
  });

  test('a window revised after it closed (late) is still clean and compared', () => {
    const r = reconcile(world((ws) => Object.assign(ws[2]!, { revision: 1, flags: ['late'], electricityKWh: 1.5 })));
    expect(elec(r)).toMatchObject({ clean: 10 });
    expect(elec(r).unexplainedWindows.map((w) => w.windowStartMs)).toEqual([T0 + 2 * MIN]);
  });

  test('a flagged window holding far more than the line can use fails as implausible, though its flag explains the sum', () => {
    const r = reconcile(world((ws) => Object.assign(ws[5]!, { electricityKWh: 1e6, flags: ['quarantine'] })));
    expect(elec(r)).toMatchObject({ implausibleWindows: 1, unexplained: 0 });
    expect(r.failures).toEqual([
      expect.stringMatching(/flagged window\(s\) hold more than 10× the line's busiest true minute/),
    ]);
    expect(elec(r).implausibleExcess).toBeCloseTo(1e6 - 10, 6);
    expect(reconcile(world()).energy.every((e) => e.implausibleWindows === 0)).toBe(true);
  });

  test('a flagged jump right after a register discontinuity on the line is exempt from the implausible bound; elsewhere not', () => {
    const jump = (ws: CloudLineWindow[]) => Object.assign(ws[5]!, { electricityKWh: 1e6, flags: ['quarantine'] });
    const preset = (over: Partial<LineDiscontinuity>): LineDiscontinuity[] => [
      {
        line: 'line-1',
        quantity: 'electricityKWh',
        meterId: 'm1',
        kind: 'rollover',
        atMs: T0 + 4 * MIN + 30_000,
        unmeasured: 1e6,
        ...over,
      },
    ];
    const near = reconcile({ ...world(jump), discontinuities: preset({}) });
    expect(elec(near)).toMatchObject({ implausibleWindows: 0, presetWindows: 1 });
    expect(near.failures).toEqual([]);
    for (const discontinuities of [
      preset({ atMs: T0 + 6 * MIN }),
      preset({ atMs: T0 - 10 * MIN }),
      preset({ line: 'other', atMs: T0 + 5 * MIN }),
      preset({ quantity: 'gasM3' }),
    ]) {
      expect(elec(reconcile({ ...world(jump), discontinuities }))).toMatchObject({
        implausibleWindows: 1,
        presetWindows: 0,
      });
    }
  });

  test('next to a register discontinuity, a flagged window holding more than the jump no meter measured still fails', () => {
    const jump = (ws: CloudLineWindow[]) => Object.assign(ws[5]!, { electricityKWh: 1e6, flags: ['quarantine'] });
    const small = (unmeasured: number): LineDiscontinuity[] => [
      {
        line: 'line-1',
        quantity: 'electricityKWh',
        meterId: 'm1',
        kind: 'meterReplacement',
        atMs: T0 + 5 * MIN,
        unmeasured,
      },
    ];
    const r = reconcile({ ...world(jump), discontinuities: small(1000) });
    expect(elec(r)).toMatchObject({ implausibleWindows: 1, presetWindows: 0 });
    expect(elec(r).implausibleExcess).toBeCloseTo(1e6 - 10 - 1000, 6);
    expect(r.failures).toEqual([
      expect.stringMatching(/flagged window\(s\) hold more than 10× the line's busiest true minute/),
    ]);
    const reset = reconcile({ ...world(jump), discontinuities: [...small(0), ...small(0)] });
    expect(elec(reset)).toMatchObject({ implausibleWindows: 1, presetWindows: 0 });
    expect(elec(reconcile({ ...world(jump), discontinuities: [...small(5e5), ...small(5e5)] }))).toMatchObject({
      implausibleWindows: 0,
      presetWindows: 1,
    });
  });

  test('a clean window that differs from the truth fails, even when the total adds up', () => {
    const r = reconcile(
      world((ws) => {
        ws[2]!.electricityKWh = 1.3;
        ws[7]!.electricityKWh = 0.7;
      }),
    );
    expect(elec(r).unexplained).toBe(0);
    expect(elec(r).unexplainedWindows.map((w) => w.windowStartMs)).toEqual([T0 + 2 * MIN, T0 + 7 * MIN]);
    expect(r.failures.join('\n')).toMatch(/2 clean window\(s\) differ from the truth/);
  });

  test('a window missing at the cloud is a lost rollup and unexplained energy', () => {
    const r = reconcile(world((ws) => ws.splice(6, 1)));
    expect(elec(r)).toMatchObject({ missing: 1 });
    expect(elec(r).unexplained).toBeGreaterThan(0.9);
    expect(r.lost.map((l) => l.id)).toEqual(['w6']);
    expect(r.failures.join('\n')).toMatch(/1 rollup\(s\) of the gateway store are not at the cloud/);
  });

  test('a cloud revision older than the gateway’s is lost', () => {
    const input = world();
    input.gateway[4] = { ...input.gateway[4]!, revision: 2 };
    const r = reconcile(input);
    expect(r.lost).toEqual([expect.objectContaining({ id: 'w4', gatewayRevision: 2, cloudRevision: 0 })]);
  });

  test('two cloud rollups for one window (or one id twice) are duplicates', () => {
    const input = world();
    input.cloud.push({ ...input.cloud[3]!, id: 'w3-other' });
    input.cloud.push({ ...input.cloud[8]! });
    const r = reconcile(input);
    expect(r.duplicates.map((d) => d.key)).toEqual([
      `line/line-1/60000/${new Date(T0 + 3 * MIN).toISOString()}`,
      'id w8',
    ]);
    expect(r.failures.join('\n')).toMatch(/2 window\(s\) held by more than one rollup/);
  });
});
