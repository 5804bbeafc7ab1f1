/**
 * The one vocabulary of measured quantities. Every collector converts raw register or node values into these
 * canonical units exactly once; nothing downstream converts again.
 */
export const QUANTITIES = {
  activeEnergyImport: { unit: 'kWh', kind: 'counter', description: 'active energy imported (consumed)' },
  activeEnergyExport: { unit: 'kWh', kind: 'counter', description: 'active energy exported (generated)' },
  activePower: { unit: 'kW', kind: 'gauge', description: 'total active power' },
  voltage: { unit: 'V', kind: 'gauge', description: 'phase voltage' },
  current: { unit: 'A', kind: 'gauge', description: 'phase current' },
  gasVolume: { unit: 'm3', kind: 'counter', description: 'gas volume through the meter (uncorrected)' },
  gasFlow: { unit: 'm3/h', kind: 'gauge', description: 'gas volume flow' },
  gasEnergy: { unit: 'kWh', kind: 'counter', description: 'gas energy (gross calorific value basis)' },
  unitsProduced: { unit: 'count', kind: 'counter', description: 'good units produced' },
  unitsScrapped: { unit: 'count', kind: 'counter', description: 'units scrapped' },
  machineState: {
    unit: 'state',
    kind: 'gauge',
    description: 'machine state code (0 off, 1 idle, 2 producing, 3 changeover)',
  },
} as const;

export type Quantity = keyof typeof QUANTITIES;
export type CanonicalUnit = (typeof QUANTITIES)[Quantity]['unit'];
export type PointKind = 'counter' | 'gauge';

export const QUANTITY_NAMES = Object.keys(QUANTITIES) as Quantity[];

export function isQuantity(name: string): name is Quantity {
  return Object.prototype.hasOwnProperty.call(QUANTITIES, name);
}

export function unitOf(quantity: Quantity): CanonicalUnit {
  return QUANTITIES[quantity].unit;
}

/** Machine states reported by `machineState` points. */
export const MACHINE_STATES = { off: 0, idle: 1, producing: 2, changeover: 3 } as const;
export type MachineState = keyof typeof MACHINE_STATES;
