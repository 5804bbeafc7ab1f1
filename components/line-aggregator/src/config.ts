import { isPcfError, loadConfig, parseDuration, validateConfig } from '@pcf-edge/core';
import { effectiveModulus, getProfile, type MeterProfile } from '@pcf-edge/profiles';
import schema from '../config.schema.json';
import type { CounterSettings } from './counter/counter-engine';
import type { GaugeSettings } from './gauge/gauge-filter';

export { schema as configSchema };

export type MeterRole = 'lineTotal' | 'subMeter' | 'baseload';

export interface PointOverride {
  modulus?: number | null;
  maxRatePerHour?: number | null;
  replacementStart?: Record<string, number>;
  deadband?: number;
  spikeThreshold?: number;
}

export interface MeterConfig {
  id: string;
  line: string;
  role: MeterRole;
  profile?: string;
  points: Record<string, PointOverride>;
}

export interface CalorificValueEntry {
  validFrom: string;
  validTo?: string;
  mJPerM3: number;
  basis: 'gross';
}

export interface AggregatorConfig {
  site: string;
  gatewayId: string;
  windows: string[];
  closeLagMs: number;
  gracePeriodMs: number;
  maxGapMs: number;
  noiseTolerance: number;
  noiseToleranceRelative: number;
  plausibilityMargin: number;
  batchSize: number;
  pollIntervalMs: number;
  gas: { volumeCorrectionFactor: number; calorificValues: CalorificValueEntry[] };
  meters: MeterConfig[];
  retention: { readingsMaxAgeMs: number; maxSizeBytes?: number; pruneIntervalMs: number };
}

const DAY_MS = 86_400_000;

function checkWindows(c: AggregatorConfig, errors: string[]): void {
  c.windows.forEach((w, i) => {
    const ms = parseDuration(w);
    if (ms < 1000 || ms > DAY_MS || DAY_MS % ms !== 0)
      errors.push(`/windows/${i}: ${w} must be between 1s and 1d and divide one day`);
  });
}

function checkMeters(c: AggregatorConfig, errors: string[]): void {
  const seen = new Set<string>();
  c.meters.forEach((m, i) => {
    if (seen.has(m.id)) errors.push(`/meters/${i}/id: duplicate meter '${m.id}'`);
    seen.add(m.id);
    if (m.profile === undefined) return;
    try {
      const profile = getProfile(m.profile);
      for (const name of Object.keys(m.points)) {
        if (!profile.points.some((p) => p.name === name))
          errors.push(`/meters/${i}/points/${name}: profile '${m.profile}' has no point '${name}'`);
      }
    } catch (err) {
      if (!isPcfError(err, 'ERR_PROFILE_UNKNOWN')) throw err;
      errors.push(`/meters/${i}/profile: unknown meter profile '${m.profile}'`);
    }
  });
}

function checkCalorificValues(c: AggregatorConfig, errors: string[]): void {
  const spans = c.gas.calorificValues.map((e, i) => ({
    i,
    from: Date.parse(e.validFrom),
    to: e.validTo === undefined ? Infinity : Date.parse(e.validTo),
  }));
  for (const s of spans)
    if (s.to <= s.from) errors.push(`/gas/calorificValues/${s.i}: validTo must be after validFrom`);
  const sorted = [...spans].sort((a, b) => a.from - b.from);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]!.from < sorted[k - 1]!.to)
      errors.push(`/gas/calorificValues/${sorted[k]!.i}: overlaps entry ${sorted[k - 1]!.i}`);
  }
}

function semanticCheck(c: AggregatorConfig): string[] {
  const errors: string[] = [];
  checkWindows(c, errors);
  checkMeters(c, errors);
  checkCalorificValues(c, errors);
  return errors;
}

/** Validates (defaults applied, frozen); throws ERR_CONFIG_INVALID listing every problem. */
export function validateAggregatorConfig(data: unknown, source = 'line-aggregator config'): Readonly<AggregatorConfig> {
  return validateConfig<AggregatorConfig>(data, schema, source, semanticCheck);
}

export function loadAggregatorConfig(file: string): Readonly<AggregatorConfig> {
  return loadConfig<AggregatorConfig>(file, schema, semanticCheck);
}

export function windowLengthsMs(c: AggregatorConfig): number[] {
  return c.windows.map(parseDuration).sort((a, b) => a - b);
}

/** Everything the aggregator needs to know about one point, resolved once. */
export interface PointSettings {
  /** Configured role; null for a meter missing from the config (rolled up per meter, never into totals). */
  role: MeterRole | null;
  /**
   * Set when the meter's profile has an earlier point of the same quantity (a twin register, e.g. the PM5xxx's
   * float32 kWh beside its int64 Wh): that point is the one counted in line and site totals, this one is rolled
   * up per meter only, so a meter never counts twice.
   */
  twinOf?: string;
  counter: CounterSettings;
  gauge: GaugeSettings;
}

const profileCache = new Map<string, MeterProfile>();
const meterIndex = new WeakMap<AggregatorConfig, Map<string, MeterConfig>>();

/** The configured meter with this id (indexed once per config object). */
export function meterOf(c: AggregatorConfig, meterId: string): MeterConfig | undefined {
  let index = meterIndex.get(c);
  if (!index) meterIndex.set(c, (index = new Map(c.meters.map((m) => [m.id, m]))));
  return index.get(meterId);
}

export function resolvePointSettings(c: AggregatorConfig, meterId: string, point: string): PointSettings {
  const meter = meterOf(c, meterId);
  let profilePoint: { modulus: number | null; maxRatePerHour: number | null } = { modulus: null, maxRatePerHour: null };
  let twinOf: string | undefined;
  if (meter?.profile !== undefined) {
    let profile = profileCache.get(meter.profile);
    if (!profile) profileCache.set(meter.profile, (profile = getProfile(meter.profile)));
    const def = profile.points.find((p) => p.name === point);
    if (def) {
      profilePoint = { modulus: effectiveModulus(def) ?? null, maxRatePerHour: def.maxRatePerHour ?? null };
      const first = profile.points.find((p) => p.kind === 'counter' && p.quantity === def.quantity);
      if (first && first !== def) twinOf = first.name;
    }
  }
  const o = meter?.points[point] ?? {};
  return {
    role: meter?.role ?? null,
    ...(twinOf !== undefined ? { twinOf } : {}),
    counter: {
      modulus: o.modulus !== undefined ? o.modulus : profilePoint.modulus,
      maxRatePerHour: o.maxRatePerHour !== undefined ? o.maxRatePerHour : profilePoint.maxRatePerHour,
      plausibilityMargin: c.plausibilityMargin,
      noiseTolerance: c.noiseTolerance,
      noiseToleranceRelative: c.noiseToleranceRelative,
      maxGapMs: c.maxGapMs,
      replacementStart: o.replacementStart ?? {},
    },
    gauge: { deadband: o.deadband ?? 0, spikeThreshold: o.spikeThreshold ?? null, maxGapMs: c.maxGapMs },
  };
}
