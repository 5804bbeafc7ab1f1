import { lineEnergy, type EngineInput, type EnergyWindow, type LineEnergy } from '@pcf-edge/pcf-engine';
import type { StoredRollup } from '../store/repository';
import type { Reference, SeriesRead } from './engine-input';
import type { CalcOptions } from '@pcf-edge/pcf-engine';

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
 * The engine input of a recorded calculation rebuilt from exactly the rollups it read, every window on its own (the
 * energy read's sums equal this for the engine, ADR 0180): the replay of `audit verify` (ADR 0231). `series` as
 * recorded (pcf-edge.audit/3); without it (audit/2) each series' window length is the option's, else that of its
 * rollups, and a site enters when it has rollups.
 */
export function replayInput(
  reference: Reference,
  options: CalcOptions,
  lines: string[],
  sites: string[],
  rollups: StoredRollup[],
  series?: SeriesRead[],
): EngineInput {
  const recorded = new Map((series ?? []).map((s) => [`${s.type}:${s.id}`, s]));
  const of = (type: 'line' | 'site', id: string): { energy: LineEnergy; present: boolean } => {
    const rows = rollups.filter((r) => r.type === type && (type === 'line' ? r.line === id : r.site === id));
    const s = recorded.get(`${type}:${id}`);
    const windowMs = s ? (s.windowMs ?? undefined) : (options.windowMs ?? rows[0]?.windowMs);
    return { energy: lineEnergy(rows.map(energyWindow), windowMs), present: s ? s.anyRollup : rows.length > 0 };
  };
  const siteEnergy = new Map<string, LineEnergy>();
  for (const site of sites) {
    const { energy, present } = of('site', site);
    if (present) siteEnergy.set(site, energy);
  }
  return {
    snapshot: reference.snapshot,
    index: reference.index,
    lines: new Map(lines.map((line) => [line, of('line', line).energy])),
    sites: siteEnergy,
    options,
  };
}
