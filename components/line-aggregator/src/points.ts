import type { CounterAnchor } from '@pcf-edge/store';
import type { CounterWindowAcc } from './counter/allocate';
import type { CounterState } from './counter/counter-engine';
import type { GaugeState } from './gauge/gauge-filter';
import type { GaugeWindowAcc, PointInfo } from './rollups/meter-rollups';

/** Quantities that feed line and site totals. */
export const TOTAL_QUANTITIES: ReadonlySet<string> = new Set([
  'activeEnergyImport',
  'gasVolume',
  'unitsProduced',
  'unitsScrapped',
]);

export type WindowAcc = CounterWindowAcc | GaugeWindowAcc;

/** Everything the aggregator holds for one point; persisted as its counter_anchors row between batches. */
export interface PointRecord {
  key: string;
  info: PointInfo;
  counter: CounterState | null;
  gauge: GaugeState | null;
  /** Open (not yet written) windows: window length → window start → accumulator. */
  open: Map<number, Map<number, WindowAcc>>;
  dirty: boolean;
  /** Not persisted: the open accumulator last used per window index, to skip the `open` lookups per reading. */
  hot: (WindowAcc | undefined)[];
}

export const pointKey = (meterId: string, point: string): string => `${meterId}\u001f${point}`;

/** The JSON kept in `counter_anchors.state_json`. */
interface PersistedPoint {
  v: 1;
  info: Omit<PointInfo, 'settings'>;
  counter: CounterState | null;
  gauge: GaugeState | null;
  open: Array<[number, WindowAcc[]]>;
}

export function toAnchor(p: PointRecord): CounterAnchor {
  const { settings: _settings, ...info } = p.info;
  const state: PersistedPoint = {
    v: 1,
    info,
    counter: p.counter,
    gauge: p.gauge,
    open: [...p.open].map(([w, m]) => [w, [...m.values()]]),
  };
  const sample = p.counter?.anchor ?? p.gauge?.last ?? null;
  return {
    meterId: info.meterId,
    point: info.point,
    value: sample?.value ?? 0,
    ts: sample?.ts ?? 0,
    meterSerial: p.counter?.anchor?.serial ?? null,
    state,
  };
}

/** Rebuilds a point from its anchor row; `settings` come from the current config. */
export function fromAnchor(
  a: CounterAnchor,
  settingsOf: (meterId: string, point: string) => PointInfo['settings'],
): PointRecord | null {
  const s = a.state as PersistedPoint | null;
  if (s === null || typeof s !== 'object' || s.v !== 1) return null;
  return {
    key: pointKey(a.meterId, a.point),
    info: { ...s.info, settings: settingsOf(a.meterId, a.point) },
    counter: s.counter,
    gauge: s.gauge,
    open: new Map(s.open.map(([w, accs]) => [w, new Map(accs.map((acc) => [acc.start, acc]))])),
    dirty: false,
    hot: [],
  };
}
