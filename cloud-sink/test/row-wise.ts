import { lineEnergy, type EngineInput } from '@pcf-edge/pcf-engine';
import { energyWindow } from '../src/service/replay-input';
import type { LoadedInput } from '../src/service/engine-input';
import type { StoredRollup } from '../src/store/repository';

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
