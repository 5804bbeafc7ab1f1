import { isPcfError, loadConfig, parseDuration, validateConfig, type MeterRole } from '@pcf-edge/core';
import { getProfile } from '@pcf-edge/profiles';
import schema from '../config.schema.json';

export { schema as configSchema };
export type { MeterRole };

export interface PointOverride {
  modulus?: number | null;
  maxRatePerHour?: number | null;
  replacementStart?: Record<string, number>;
  deadband?: number;
  spikeThreshold?: number;
}

/**
 * A meter's aggregation settings. `line`, `role`, `profile` and the points' `modulus`/`maxRatePerHour` normally
 * come from the collector that reads the meter (the site model, docs/adr/0220); given here they must agree.
 */
export interface MeterConfig {
  id: string;
  line?: string;
  role?: MeterRole;
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
