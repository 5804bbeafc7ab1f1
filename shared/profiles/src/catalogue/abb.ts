import type { MeterProfile } from '../types';
import { phases, point, type Encoding } from './helpers';

const U64: Encoding = { table: 'holding', type: 'uint64', wordOrder: 'ABCD' };
const U32: Encoding = { table: 'holding', type: 'uint32', wordOrder: 'ABCD' };
const I32: Encoding = { table: 'holding', type: 'int32', wordOrder: 'ABCD' };

/** ABB B23/B24-style: energies uint64 ×0.01 kWh (4 registers), instantaneous values fixed-point; big-endian. */
export const abbB23: MeterProfile = {
  name: 'abb-b23',
  vendor: 'ABB',
  model: 'B23 112-100',
  description:
    'Three-phase DIN-rail meter, direct connection up to 65 A; holding registers (FC3), big-endian; 0-based addresses.',
  maxRegistersPerRead: 125,
  points: [
    point('energyImport', 'activeEnergyImport', 0x5000, U64, { scale: 0.01, maxRatePerHour: 60 }),
    point('energyExport', 'activeEnergyExport', 0x5004, U64, { scale: 0.01, maxRatePerHour: 60 }),
    ...phases('voltage', 'voltage', 0x5b00, 2, U32, { scale: 0.1 }),
    ...phases('current', 'current', 0x5b0c, 2, U32, { scale: 0.01 }),
    point('activePower', 'activePower', 0x5b14, I32, { scale: 0.00001 }),
  ],
};
