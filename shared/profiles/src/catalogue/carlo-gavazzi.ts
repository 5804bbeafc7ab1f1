import type { MeterProfile } from '../types';
import { phases, point, type Encoding } from './helpers';

const I32: Encoding = { table: 'input', type: 'int32', wordOrder: 'CDAB' };

/**
 * Carlo Gavazzi EM24: signed int32 values, low word first (CDAB), fixed-point. Energies ×0.1 kWh, voltage ×0.1 V,
 * current ×0.001 A, power ×0.1 W (so ×0.0001 kW). The device rejects long reads: at most 11 registers per request.
 */
export const carloGavazziEm24: MeterProfile = {
  name: 'carlo-gavazzi-em24',
  vendor: 'Carlo Gavazzi',
  model: 'EM24-DIN',
  description:
    'Three-phase meter; input registers (FC4), int32 CDAB fixed point; addresses 0-based; max 11 registers per read.',
  maxRegistersPerRead: 11,
  points: [
    ...phases('voltage', 'voltage', 0x0000, 2, I32, { scale: 0.1 }),
    ...phases('current', 'current', 0x000c, 2, I32, { scale: 0.001 }),
    point('activePower', 'activePower', 0x0028, I32, { scale: 0.0001 }),
    point('energyImport', 'activeEnergyImport', 0x0042, I32, { scale: 0.1, maxRatePerHour: 60 }),
    point('energyExport', 'activeEnergyExport', 0x004e, I32, { scale: 0.1, maxRatePerHour: 60 }),
  ],
};
