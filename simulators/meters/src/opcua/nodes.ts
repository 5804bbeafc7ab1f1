import type { ValuePoint } from '../model/render';
import type { OpcuaMeterType } from '../scenario/types';

/**
 * OPC UA node set per meter type. Node ids are strings `ns=<index of namespaceUri>;s=<meterId>.<point>`;
 * every meter also has `<meterId>.Serial` (String).
 *   electricity: EnergyImportWh UInt64 (Wh; node-opcua carries it as [high, low] 32-bit words), Power Double (kW)
 *   gas:         Volume Double (m³ totaliser), Flow Double (m³/h)
 *   lineCounter: GoodCount UInt32, ScrapCount UInt32 (wrap at 2^32), State UInt16 (machine state code)
 *   machineState: State UInt16 (0 off, 1 idle, 2 producing, 3 changeover)
 */
const base = { offset: 0, wordOrder: 'ABCD' } as const;

const STATE: ValuePoint = { ...base, name: 'State', quantity: 'machineState', kind: 'gauge', type: 'uint16', scale: 1 };

const NODES: Record<OpcuaMeterType, readonly ValuePoint[]> = {
  electricity: [
    { ...base, name: 'EnergyImportWh', quantity: 'activeEnergyImport', kind: 'counter', type: 'uint64', scale: 0.001 },
    { ...base, name: 'Power', quantity: 'activePower', kind: 'gauge', type: 'float64', scale: 1 },
  ],
  gas: [
    { ...base, name: 'Volume', quantity: 'gasVolume', kind: 'counter', type: 'float64', scale: 1 },
    { ...base, name: 'Flow', quantity: 'gasFlow', kind: 'gauge', type: 'float64', scale: 1 },
  ],
  lineCounter: [
    { ...base, name: 'GoodCount', quantity: 'unitsProduced', kind: 'counter', type: 'uint32', scale: 1 },
    { ...base, name: 'ScrapCount', quantity: 'unitsScrapped', kind: 'counter', type: 'uint32', scale: 1 },
    STATE,
  ],
  machineState: [STATE],
};

export function opcuaPoints(type: OpcuaMeterType): readonly ValuePoint[] {
  return NODES[type];
}
