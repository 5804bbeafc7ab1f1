import { PcfError } from '@pcf-edge/core';
import { Dec, dec } from './decimal';
import type { Dimension } from './unit-catalogue';
import type { Units } from './units';

/**
 * FROZEN: the unit table and arithmetic of calculations made before the exact catalogue (ADR 0240), kept only so
 * their audit records still recompute digit for digit (`CalcOptions.units: '2026-11'`). Do not edit. Its Btu,
 * therm and cubic-foot sizes are rounded (mmBtu = 293.071 kWh, ft³ = 0.0283168 m³) and `ton` means tonne.
 */

interface UnitDef {
  dimension: Dimension;
  num: string;
  den: string;
}

const U = (dimension: Dimension, num: string, den = '1'): UnitDef => ({ dimension, num, den });

const UNITS: Record<string, UnitDef> = {
  kWh: U('energy', '1'),
  Wh: U('energy', '0.001'),
  MWh: U('energy', '1000'),
  GWh: U('energy', '1000000'),
  MJ: U('energy', '1', '3.6'),
  GJ: U('energy', '1000', '3.6'),
  kJ: U('energy', '0.001', '3.6'),
  therm: U('energy', '29.3071'),
  mmBtu: U('energy', '293.071'),
  kBtu: U('energy', '0.293071'),
  Btu: U('energy', '0.000293071'),
  m3: U('volume', '1'),
  l: U('volume', '0.001'),
  ft3: U('volume', '0.0283168'),
  hcf: U('volume', '2.83168'),
  kg: U('mass', '1'),
  g: U('mass', '0.001'),
  t: U('mass', '1000'),
  lb: U('mass', '0.45359237'),
  piece: U('count', '1'),
  tkm: U('transport', '1'),
  m2: U('area', '1'),
  h: U('time', '1'),
  min: U('time', '1', '60'),
};

const ALIASES: Record<string, string> = {
  kwh: 'kWh',
  mwh: 'MWh',
  'kilowatt hour': 'kWh',
  megajoule: 'MJ',
  mj: 'MJ',
  gj: 'GJ',
  therms: 'therm',
  MMBtu: 'mmBtu',
  mmbtu: 'mmBtu',
  MMBTU: 'mmBtu',
  'm³': 'm3',
  'cubic meter': 'm3',
  'ft³': 'ft3',
  cf: 'ft3',
  liter: 'l',
  litre: 'l',
  L: 'l',
  kilogram: 'kg',
  tonne: 't',
  ton: 't',
  gram: 'g',
  pieces: 'piece',
  pcs: 'piece',
  unit: 'piece',
  units: 'piece',
  count: 'piece',
  'ton kilometer': 'tkm',
  'square meter': 'm2',
  'm²': 'm2',
  hour: 'h',
  hours: 'h',
};

/** Canonical name of a unit, or undefined when unknown. Accepts PACT declared-unit names (kilogram, liter, …). */
function canonicalUnit(unit: string): string | undefined {
  if (UNITS[unit]) return unit;
  return ALIASES[unit] ?? ALIASES[unit.toLowerCase()];
}

function isKnownUnit(unit: string): boolean {
  return canonicalUnit(unit) !== undefined;
}

function def(unit: string): UnitDef {
  const c = canonicalUnit(unit);
  const d = c === undefined ? undefined : UNITS[c];
  if (!d) throw new PcfError('ERR_UNIT', `unknown unit '${unit}'`, { unit });
  return d;
}

function dimensionOf(unit: string): Dimension {
  return def(unit).dimension;
}

function convertible(from: string, to: string): boolean {
  return isKnownUnit(from) && isKnownUnit(to) && def(from).dimension === def(to).dimension;
}

/** Converts `qty` from one unit to another of the same dimension; throws ERR_UNIT otherwise. */
function convert(qty: Dec, from: string, to: string): Dec {
  const a = def(from);
  const b = def(to);
  if (a.dimension !== b.dimension) {
    throw new PcfError('ERR_UNIT', `cannot convert ${from} (${a.dimension}) to ${to} (${b.dimension})`, { from, to });
  }
  if (a === b) return qty;
  return qty.times(a.num).times(b.den).div(dec(a.den).times(b.num));
}

/** The units of calculations recorded before the exact catalogue. */
export const UNITS_2026_11: Units = {
  name: '2026-11',
  canonical: canonicalUnit,
  isKnown: isKnownUnit,
  dimensionOf,
  convertible,
  convert,
};
