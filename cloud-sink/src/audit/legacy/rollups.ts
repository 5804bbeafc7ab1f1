import type { Rollup } from '@pcf-edge/core';

/**
 * A rollup as the engine of cc21e43 read it (kWh and m³ as the numbers received), rebuilt from the stored document
 * exactly as that version's store mapped it into columns and back, so records of schema pcf-edge.audit/1 find the
 * same values and the same `rollupsHash` (ADR 0180).
 */
export interface LegacyRollup {
  id: string;
  revision: number;
  type: Rollup['type'];
  site: string;
  line: string | null;
  windowStartMs: number;
  windowMs: number;
  electricityKWh: number | null;
  gasM3: number | null;
  gasKWh: number | null;
  gasCvBasis: 'gross' | 'net' | null;
  baseloadKWh: number | null;
  unitsGood: number | null;
  unitsScrap: number | null;
  coverage: number;
  estimated: boolean;
}

/** The stored row (`revision`, and the rollup document as received) as the legacy engine's rollup. */
export function legacyRollup(revision: number, doc: string): LegacyRollup {
  const r = JSON.parse(doc) as Rollup;
  const energy = r.type === 'line' || r.type === 'site' ? r : undefined;
  return {
    id: r.id,
    revision,
    type: r.type,
    site: r.site,
    line: r.type === 'site' ? null : r.line,
    windowStartMs: Date.parse(r.windowStart),
    windowMs: r.windowMs,
    electricityKWh: energy?.electricityKWh ?? null,
    gasM3: energy?.gasM3 ?? null,
    gasKWh: energy?.gasKWh ?? null,
    gasCvBasis: energy?.gasCvBasis ?? null,
    baseloadKWh: r.type === 'site' ? r.baseloadKWh : null,
    unitsGood: energy?.unitsGood ?? null,
    unitsScrap: energy?.unitsScrap ?? null,
    coverage: r.coverage,
    estimated: r.estimated,
  };
}
