import type { MeterProfile } from '../types';
import { point } from './helpers';

/** Pulse weight of the gas pulse inputs: m³ per pulse. */
const PULSE_M3 = 0.01;

/**
 * Gas meter pulse input (e.g. a reed contact on a diaphragm meter counted by an I/O module): a uint16 pulse counter
 * in holding register 0 that wraps at 65536 pulses, i.e. 655.36 m³ at 0.01 m³ per pulse.
 */
export const gasPulseCounter: MeterProfile = {
  name: 'gas-pulse-counter',
  vendor: 'generic',
  model: 'pulse input, uint16',
  description: 'Gas pulse counter; holding register 0 (FC3), uint16 wrapping counter × 0.01 m³ per pulse.',
  maxRegistersPerRead: 125,
  points: [
    point(
      'volume',
      'gasVolume',
      0,
      { table: 'holding', type: 'uint16', wordOrder: 'ABCD' },
      { scale: PULSE_M3, modulus: 655.36, maxRatePerHour: 100 },
    ),
  ],
};

/** As gasPulseCounter with a uint32 counter (big-endian words) that wraps at 2^32 pulses. */
export const gasPulseCounter32: MeterProfile = {
  name: 'gas-pulse-counter-32',
  vendor: 'generic',
  model: 'pulse input, uint32',
  description: 'Gas pulse counter; holding registers 0–1 (FC3), uint32 ABCD wrapping counter × 0.01 m³ per pulse.',
  maxRegistersPerRead: 125,
  points: [
    point(
      'volume',
      'gasVolume',
      0,
      { table: 'holding', type: 'uint32', wordOrder: 'ABCD' },
      { scale: PULSE_M3, modulus: 42949672.96, maxRatePerHour: 100 },
    ),
  ],
};
