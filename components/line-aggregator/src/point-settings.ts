import { METER_ROLES, pointField, type MeterRole, type SiteModel } from '@pcf-edge/core';
import type { AggregatorConfig, MeterConfig } from './config';
import type { CounterSettings } from './counter/counter-engine';
import type { GaugeSettings } from './gauge/gauge-filter';

/** Everything the aggregator needs to know about one point, resolved once. */
export interface PointSettings {
  /** The meter's role; null for a meter nobody gives a role (rolled up per meter, never into totals). */
  role: MeterRole | null;
  /**
   * Set when the meter's register map has an earlier point of the same quantity (a twin register, e.g. the
   * PM5xxx's float32 kWh beside its int64 Wh): that point is the one counted in line and site totals, this one is
   * rolled up per meter only, so a meter never counts twice.
   */
  twinOf?: string;
  counter: CounterSettings;
  gauge: GaugeSettings;
}

const numberOr = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/**
 * Point settings from the site model (line, role, modulus, maxRatePerHour, twins: what the collectors and this
 * configuration say, merged; docs/adr/0220) and the aggregator's own settings (tolerances, replacement starts,
 * gauge filters). One resolver per (configuration, site-model generation).
 */
export class PointSettingsResolver {
  private readonly meters: Map<string, MeterConfig>;

  constructor(
    private readonly config: Readonly<AggregatorConfig>,
    readonly model: SiteModel,
  ) {
    this.meters = new Map(config.meters.map((m) => [m.id, m]));
  }

  /** The meter's line from the site model; undefined when nobody states one (the reading's line applies). */
  lineOf(meterId: string): string | undefined {
    const line = this.model.value(meterId, 'line');
    return typeof line === 'string' ? line : undefined;
  }

  settingsOf(meterId: string, point: string): PointSettings {
    const c = this.config;
    const m = this.model;
    const role = m.value(meterId, 'role');
    const twinOf = m.value(meterId, pointField(point, 'twinOf'));
    const o = this.meters.get(meterId)?.points[point] ?? {};
    return {
      role: METER_ROLES.includes(role as MeterRole) ? (role as MeterRole) : null,
      ...(typeof twinOf === 'string' ? { twinOf } : {}),
      counter: {
        modulus: numberOr(m.value(meterId, pointField(point, 'modulus'))),
        maxRatePerHour: numberOr(m.value(meterId, pointField(point, 'maxRatePerHour'))),
        plausibilityMargin: c.plausibilityMargin,
        noiseTolerance: c.noiseTolerance,
        noiseToleranceRelative: c.noiseToleranceRelative,
        maxGapMs: c.maxGapMs,
        replacementStart: o.replacementStart ?? {},
      },
      gauge: { deadband: o.deadband ?? 0, spikeThreshold: o.spikeThreshold ?? null, maxGapMs: c.maxGapMs },
    };
  }
}
