import type { MeterProfile } from '../types';
import { phases, point, type Encoding } from './helpers';

const F32: Encoding = { table: 'input', type: 'float32', wordOrder: 'ABCD' };

/** Eastron SDM630: every parameter a float32 in input registers, big-endian words. Direct connection up to 100 A. */
export const eastronSdm630: MeterProfile = {
  name: 'eastron-sdm630',
  vendor: 'Eastron',
  model: 'SDM630 Modbus',
  description: 'Three-phase DIN-rail meter; input registers (FC4), float32 ABCD; addresses 0-based (vendor 30001 = 0).',
  maxRegistersPerRead: 80,
  points: [
    ...phases('voltage', 'voltage', 0x0000, 2, F32),
    ...phases('current', 'current', 0x0006, 2, F32),
    point('activePower', 'activePower', 0x0034, F32, { scale: 0.001 }),
    point('energyImport', 'activeEnergyImport', 0x0048, F32, { maxRatePerHour: 100 }),
    point('energyExport', 'activeEnergyExport', 0x004a, F32, { maxRatePerHour: 100 }),
  ],
};
