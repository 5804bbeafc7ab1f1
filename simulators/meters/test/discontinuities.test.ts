import { ManualClock } from '@pcf-edge/core';
import { createMeterSimulator, type RegisterDiscontinuity } from '../src';
import { demoScenario } from './helpers';

/**
 * The ground truth records every register jump a counter event applied, scheduled or injected, with the register
 * before and after and the consumption the jump represents that no meter measured.
 */
const H = 3_600_000;

describe('register discontinuities in the ground truth', () => {
  const scenario = demoScenario({ opcua: true, faults: true });
  const START = Date.parse(scenario.startTime);

  it('records an injected rollover: the register just below its modulus, the jump unmeasured', async () => {
    const sim = createMeterSimulator(scenario, { clock: new ManualClock(START) });
    const at = START + 2 * H + 123;
    const before = sim.truth.at(at).meters['line1-gas']?.points.volume as number;
    expect(sim.truth.at(at).discontinuities).toEqual([]);
    const f = await sim.injectFault('line1-gas', { type: 'rollover', at });
    const after = sim.truth.at(at).meters['line1-gas']?.points.volume as number;
    expect(after).toBeCloseTo(655.36 - 0.1, 9);
    expect(sim.truth.at(at - 1).discontinuities).toEqual([]);
    const [d, ...rest] = sim.truth.at(at + H).discontinuities;
    expect(rest).toEqual([]);
    expect(d).toEqual<RegisterDiscontinuity>({
      meterId: 'line1-gas',
      point: 'volume',
      quantity: 'gasVolume',
      kind: 'rollover',
      faultId: f.id,
      atMs: at,
      before,
      after,
      unmeasured: after - before,
    });
    expect(d?.unmeasured).toBeGreaterThan(10);
    // True consumption does not include the jump.
    expect(sim.truth.at(at + H).meters['line1-gas']?.consumption.gasVolume).toBeCloseTo(
      sim.truth.meterConsumption('line1-gas', 'gasVolume', START, at + H),
      9,
    );
  });

  it('records a replacement per counter point, counted from 0, and a device-wide reset on each meter with nothing unmeasured', async () => {
    const sim = createMeterSimulator(scenario, { clock: new ManualClock(START) });
    const at = START + H;
    await sim.injectFault('line2-feed-b', { type: 'meterReplacement', at });
    await sim.injectFault('panel-b', { type: 'counterReset', at: at + H });
    const all = sim.truth.at(at + 2 * H).discontinuities;
    const replaced = all.filter((d) => d.kind === 'meterReplacement');
    expect(replaced.map((d) => [d.meterId, d.point, d.after, d.unmeasured])).toEqual([
      ['line2-feed-b', 'energyImport', 1, 1],
      ['line2-feed-b', 'energyExport', 1, 1],
    ]);
    expect(replaced[0]?.before).toBeGreaterThan(45678);
    const resets = all.filter((d) => d.kind === 'counterReset');
    expect(new Set(resets.map((d) => d.meterId))).toEqual(new Set(['line2-feed-a', 'line2-feed-b']));
    expect(resets.every((d) => d.after === 0 && d.unmeasured === 0 && d.before > 0 && d.atMs === at + H)).toBe(true);
  });

  it('records the scenario’s scheduled counterReset, and nothing for a rollover on a register without a modulus', async () => {
    const sim = createMeterSimulator(scenario, { clock: new ManualClock(START) });
    const reset = Date.parse('2026-11-02T20:00:00Z');
    expect(sim.truth.at(reset - 1).discontinuities).toEqual([]);
    const scheduled = sim.truth.at(reset).discontinuities;
    expect(scheduled.map((d) => [d.meterId, d.point, d.kind, d.after])).toEqual([
      ['line1-press', 'energyImport', 'counterReset', 0],
    ]);
    const at = reset + H;
    await sim.injectFault('line1-press', { type: 'rollover', at }); // float32 without a modulus: nothing to preset
    expect(sim.truth.at(at + H).discontinuities).toEqual(scheduled);
  });
});
