import { lineEnergy, type EngineInput, type EnergyWindow } from '@pcf-edge/pcf-engine';
import type { LoadedInput } from '../src/service/engine-input';
import type { StoredRollup } from '../src/store/repository';

/** A stored rollup as the engine reads one window of a line or site (micro-units). */
export function energyWindow(r: StoredRollup): EnergyWindow {
  return {
    startMs: r.windowStartMs,
    windowMs: r.windowMs,
    site: r.site,
    estimated: r.estimated,
    coverage: r.coverage,
    electricity: (r.type === 'site' ? r.baseloadMicroKWh : r.electricityMicroKWh) ?? 0,
    gasM3: r.type === 'site' ? 0 : (r.gasMicroM3 ?? 0),
    gasKWh: r.type === 'site' ? 0 : (r.gasMicroKWh ?? 0),
    gasCvBasis: r.type === 'site' ? null : r.gasCvBasis,
  };
}

/**
 * The engine input of `loaded` (read with `list`) rebuilt from its listed rollups, every window on its own: what the
 * energy read's sums must be equal to, for the engine.
 */
export function windowByWindow(loaded: LoadedInput): EngineInput {
  const rows = loaded.rollups!;
  const of = (energy: Map<string, { windowMs: number | undefined }>, pick: (r: StoredRollup, id: string) => boolean) =>
    new Map(
      [...energy].map(([id, e]) => [id, lineEnergy(rows.filter((r) => pick(r, id)).map(energyWindow), e.windowMs)]),
    );
  return {
    ...loaded.input,
    lines: of(loaded.input.lines, (r, line) => r.type === 'line' && r.line === line),
    sites: of(loaded.input.sites, (r, site) => r.type === 'site' && r.site === site),
  };
}
