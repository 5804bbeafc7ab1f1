import type { MeterProfile } from '../types';
import { phases, point, type Encoding } from './helpers';

const I64: Encoding = { table: 'holding', type: 'int64', wordOrder: 'ABCD' };
const F32: Encoding = { table: 'holding', type: 'float32', wordOrder: 'ABCD' };

/**
 * Schneider PowerLogic PM5xxx-style: holding registers, big-endian words. Schneider's register lists print 1-based
 * numbers; the addresses here are 0-based = vendor number − 1 (energy delivered int64 Wh: vendor 3204 → 3203;
 * its float32 kWh twin: vendor 2700 → 2699). Prefer the int64 Wh register: float32 kWh loses resolution as it grows.
 */
export const schneiderPm5xxx: MeterProfile = {
  name: 'schneider-pm5xxx',
  vendor: 'Schneider Electric',
  model: 'PowerLogic PM5xxx',
  description:
    'CT-connected power meter; holding registers (FC3), big-endian; 0-based addresses = vendor register − 1.',
  maxRegistersPerRead: 125,
  points: [
    ...phases('current', 'current', 2999, 2, F32),
    ...phases('voltage', 'voltage', 3027, 2, F32),
    point('activePower', 'activePower', 3059, F32),
    point('energyImportWh', 'activeEnergyImport', 3203, I64, { scale: 0.001, maxRatePerHour: 5000 }),
    point('energyExportWh', 'activeEnergyExport', 3207, I64, { scale: 0.001, maxRatePerHour: 5000 }),
    point('energyImportKWh', 'activeEnergyImport', 2699, F32, { maxRatePerHour: 5000 }),
    point('energyExportKWh', 'activeEnergyExport', 2701, F32, { maxRatePerHour: 5000 }),
  ],
};

/** Schneider Acti9 iEM3000-style: float32 values in holding registers, big-endian, 0-based addresses. */
export const schneiderIem3000: MeterProfile = {
  name: 'schneider-iem3000',
  vendor: 'Schneider Electric',
  model: 'Acti9 iEM3000',
  description:
    'DIN-rail meter; holding registers (FC3), float32 ABCD; 0-based addresses; direct connection up to 63 A.',
  maxRegistersPerRead: 100,
  points: [
    ...phases('voltage', 'voltage', 0x5000, 2, F32),
    point('activePower', 'activePower', 0x5012, F32),
    point('energyImport', 'activeEnergyImport', 0x600c, F32, { maxRatePerHour: 60 }),
  ],
};
