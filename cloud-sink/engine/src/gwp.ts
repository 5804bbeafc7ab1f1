import { PcfError } from '@pcf-edge/core';
import { Dec, dec, ZERO } from './decimal';

/**
 * IPCC global warming potentials (100-year). AR4: CH4 25, N2O 298 · AR5: CH4 28, N2O 265 (without climate-carbon
 * feedback) · AR6: CH4 fossil 29.8, non-fossil 27.2, N2O 273 (AR6 WG1 Table 7.15). `CH4` without qualifier is
 * fossil methane. `CO2e` is an already-characterised component and passes through unchanged.
 */
export const GWP_SETS = {
  AR4: {
    CO2: '1',
    CH4: '25',
    CH4_fossil: '25',
    CH4_nonfossil: '25',
    N2O: '298',
    SF6: '22800',
    NF3: '17200',
    CO2e: '1',
  },
  AR5: {
    CO2: '1',
    CH4: '28',
    CH4_fossil: '28',
    CH4_nonfossil: '28',
    N2O: '265',
    SF6: '23500',
    NF3: '16100',
    CO2e: '1',
  },
  AR6: {
    CO2: '1',
    CH4: '29.8',
    CH4_fossil: '29.8',
    CH4_nonfossil: '27.2',
    N2O: '273',
    SF6: '25200',
    NF3: '17400',
    CO2e: '1',
  },
} as const;

export type GwpSet = keyof typeof GWP_SETS;
export type Gas = keyof (typeof GWP_SETS)['AR5'];
export const GASES = Object.keys(GWP_SETS.AR5) as Gas[];
export const GWP_SET_NAMES = Object.keys(GWP_SETS) as GwpSet[];

export function isGwpSet(name: string): name is GwpSet {
  return Object.prototype.hasOwnProperty.call(GWP_SETS, name);
}

/** PACT `ipccCharacterizationFactors` value for a set. */
export function pactCharacterization(set: GwpSet): string {
  return set;
}

export function gwp(set: GwpSet, gas: string): Dec {
  const table = GWP_SETS[set] as Record<string, string>;
  const value = table[gas];
  if (value === undefined) throw new PcfError('ERR_UNIT', `gas '${gas}' has no GWP in ${set}`, { gas, set });
  return dec(value);
}

/** kg CO2e per activity unit = Σ component kg × GWP(gas). Components are kg of each gas per activity unit. */
export function co2ePerUnit(components: Record<string, string | number>, set: GwpSet): Dec {
  let total = ZERO;
  for (const [gas, kg] of Object.entries(components)) total = total.plus(dec(kg).times(gwp(set, gas)));
  return total;
}
