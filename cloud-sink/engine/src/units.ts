import { PcfError } from '@pcf-edge/core';
import { Dec } from './decimal';
import { AMBIGUOUS_UNITS, BASE_UNITS, UNIT_CATALOGUE, type Dimension, type UnitDef } from './unit-catalogue';

export type { Dimension, UnitDef } from './unit-catalogue';

/** Which unit table a calculation converts with: `exact` (ADR 0240), or the frozen `2026-11` of older records. */
export type UnitsName = 'exact' | '2026-11';

/** Unit lookup and conversion, as a calculation uses it. */
export interface Units {
  readonly name: UnitsName;
  /** The canonical spelling of `unit`, or undefined when it is not accepted. */
  canonical(unit: string): string | undefined;
  isKnown(unit: string): boolean;
  /** Throws ERR_UNIT for a unit that is not accepted. */
  dimensionOf(unit: string): Dimension;
  convertible(from: string, to: string): boolean;
  /** `qty` in `from` expressed in `to` (same dimension), else ERR_UNIT. */
  convert(qty: Dec, from: string, to: string): Dec;
}

const exactly = new Map<string, UnitDef>();
const ignoringCase = new Map<string, UnitDef>();
for (const d of UNIT_CATALOGUE) {
  for (const spelling of [d.symbol, ...d.names]) {
    if (exactly.has(spelling)) throw new Error(`internal: unit spelling '${spelling}' is listed twice`);
    exactly.set(spelling, d);
    if (spelling.length >= 4) ignoringCase.set(spelling.toLowerCase(), d);
  }
}

/** The catalogue entry for a spelling: exact match, else (4+ characters) ignoring case; spaces are trimmed. */
export function unitDef(unit: string): UnitDef | undefined {
  const s = unit.trim().replace(/\s+/g, ' ');
  return exactly.get(s) ?? (s.length >= 4 ? ignoringCase.get(s.toLowerCase()) : undefined);
}

/** The accepted units by dimension, canonical symbols only, for error messages. */
export function acceptedUnitsText(dimension?: Dimension): string {
  const dims = dimension ? [dimension] : (Object.keys(BASE_UNITS) as Dimension[]);
  return dims
    .map(
      (dim) =>
        `${dim}: ${UNIT_CATALOGUE.filter((d) => d.dimension === dim)
          .map((d) => d.symbol)
          .join(', ')}`,
    )
    .join('; ');
}

/** Why `unit` is not accepted: ambiguous (and what to write instead) or unknown (and what is accepted). */
export function unknownUnitReason(unit: string): string {
  const hint = AMBIGUOUS_UNITS[unit.trim()];
  if (hint) return `ambiguous unit '${unit}': ${hint}`;
  return `unknown unit '${unit}'; accepted (or their names, see docs/reference-data.md): ${acceptedUnitsText()}`;
}

function def(unit: string): UnitDef {
  const d = unitDef(unit);
  if (!d) throw new PcfError('ERR_UNIT', unknownUnitReason(unit), { unit });
  return d;
}

/** A non-negative terminating decimal as an integer and a power of ten: value = int / 10^scale. */
function scaled(decimal: string): { int: bigint; scale: number } {
  const [whole, frac = ''] = decimal.split('.');
  return { int: BigInt(whole! + frac), scale: frac.length };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** from → to as a reduced fraction p / q of integers (exact: both sizes are terminating decimals). */
const ratios = new Map<string, { p: Dec; q: Dec | undefined }>();
function ratio(a: UnitDef, b: UnitDef): { p: Dec; q: Dec | undefined } {
  const key = `${a.symbol}\u001f${b.symbol}`;
  let r = ratios.get(key);
  if (!r) {
    const x = scaled(a.inBase),
      y = scaled(b.inBase);
    let p = x.int * 10n ** BigInt(y.scale),
      q = y.int * 10n ** BigInt(x.scale);
    const g = gcd(p, q);
    p /= g;
    q /= g;
    r = { p: new Dec(p.toString()), q: q === 1n ? undefined : new Dec(q.toString()) };
    ratios.set(key, r);
  }
  return r;
}

/**
 * Converts `qty` between units of one dimension: qty × p ÷ q with p/q the exact reduced ratio of their sizes, so
 * the result is exact whenever it terminates within Dec's 40 digits (gal → l, therm → kWh) and otherwise rounded
 * once, at the 40th digit (l → gal). Throws ERR_UNIT for an unknown unit or unlike dimensions.
 */
export function convert(qty: Dec, from: string, to: string): Dec {
  const a = def(from),
    b = def(to);
  if (a.dimension !== b.dimension) {
    throw new PcfError('ERR_UNIT', `cannot convert ${from} (${a.dimension}) to ${to} (${b.dimension})`, { from, to });
  }
  if (a === b) return qty;
  const { p, q } = ratio(a, b);
  const times = qty.times(p);
  return q === undefined ? times : times.div(q);
}

/** Canonical spelling of a unit (its catalogue symbol), or undefined when not accepted. */
export function canonicalUnit(unit: string): string | undefined {
  return unitDef(unit)?.symbol;
}

export function isKnownUnit(unit: string): boolean {
  return unitDef(unit) !== undefined;
}

export function dimensionOf(unit: string): Dimension {
  return def(unit).dimension;
}

export function convertible(from: string, to: string): boolean {
  const a = unitDef(from),
    b = unitDef(to);
  return a !== undefined && b !== undefined && a.dimension === b.dimension;
}

/** The conversion factor from → to, for audit formulas. */
export function conversionFactor(from: string, to: string): Dec {
  return convert(new Dec(1), from, to);
}

/** The PACT v2 declaredUnit name of a unit ('piece' for piece, which PACT lacks), or undefined. */
export function pactUnitName(unit: string): string | undefined {
  return unitDef(unit)?.pact;
}

/** The units a product may be declared in: those with a PACT name (and piece). */
export const DECLARED_UNITS: readonly UnitDef[] = UNIT_CATALOGUE.filter((d) => d.pact !== undefined);

export const EXACT_UNITS: Units = {
  name: 'exact',
  canonical: canonicalUnit,
  isKnown: isKnownUnit,
  dimensionOf,
  convertible,
  convert,
};
