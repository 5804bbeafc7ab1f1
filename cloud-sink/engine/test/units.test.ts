import { isPcfError } from '@pcf-edge/core';
import {
  activityEmissions,
  canonicalUnit,
  convert,
  Dec,
  UNIT_CATALOGUE,
  UNITS_2026_11,
  type EmissionFactor,
} from '../src';

const perLitre: EmissionFactor = {
  id: 'diesel-per-litre',
  activity: 'diesel',
  region: 'GB',
  unit: 'l',
  energyBasis: null,
  components: { CO2: '2.68787' },
  source: 'test',
  version: '1',
  validFrom: '2020-01-01',
  validTo: null,
};

/** a ÷ b as the exact fraction of two decimals, to `digits` significant digits (truncated), by integer arithmetic. */
function exactQuotient(a: string, b: string, digits: number): string {
  const scale = (s: string) => (s.includes('.') ? s.length - s.indexOf('.') - 1 : 0);
  const int = (s: string) => BigInt(s.replace('.', ''));
  const num = int(a) * 10n ** BigInt(scale(b) + digits + 10),
    den = int(b) * 10n ** BigInt(scale(a));
  return (num / den).toString().slice(0, digits);
}
const significant = (d: Dec, digits: number) => d.toFixed(60).replace('.', '').replace(/^0+/, '').slice(0, digits);

describe('unit catalogue', () => {
  it('12.5 US gallons against 2.68787 kg CO2 per litre is exactly 127.183684648251 kg', () => {
    const r = activityEmissions('12.5', 'gal', perLitre, 'AR6');
    expect(r.activityInFactorUnit.toString()).toBe('47.3176473');
    expect(r.kgCO2e.toString()).toBe('127.183684648251');
  });

  it('the reverse (factor per gallon, activity in litres) agrees to 20 significant digits and more', () => {
    const perGallon = convert(new Dec('2.68787'), 'gal', 'l'); // kg per gallon = kg per litre × litres per gallon
    expect(perGallon.toString()).toBe('10.17469477186008');
    const factor = { ...perLitre, id: 'diesel-per-gallon', unit: 'gal', components: { CO2: perGallon.toString() } };
    expect(activityEmissions('47.3176473', 'l', factor, 'AR6').kgCO2e.toString()).toBe('127.183684648251');
    // a quantity whose gallons do not terminate: 1 litre at 10 kg per gallon = 10 ÷ 3.785411784 kg
    const ten = { ...factor, components: { CO2: '10' } };
    const kg = activityEmissions('1', 'l', ten, 'AR6').kgCO2e;
    expect(significant(kg, 30)).toBe(exactQuotient('10', '3.785411784', 30));
  });

  it('converts energy, volume, mass and transport by their definitions', () => {
    const c = (q: string, from: string, to: string) => convert(new Dec(q), from, to).toString();
    expect(significant(convert(new Dec(1), 'therm', 'kWh'), 39)).toBe(exactQuotient('105505585.262', '3600000', 39));
    expect(c('1', 'MMBtu', 'MJ')).toBe('1055.05585262');
    expect(c('10', 'therm', 'MMBtu')).toBe('1');
    expect(c('1', 'Dth', 'MMBtu')).toBe('1');
    expect(c('1', 'MWh', 'GJ')).toBe('3.6');
    expect(c('1', 'kWh', 'MJ')).toBe('3.6');
    expect(c('1', 'gal_imp', 'l')).toBe('4.54609');
    expect(c('1', 'bbl', 'gal')).toBe('42');
    expect(c('100', 'ft3', 'm3')).toBe('2.8316846592');
    expect(c('1', 'Mcf', 'hcf')).toBe('10');
    expect(c('2000', 'lb', 'short ton')).toBe('1');
    expect(c('1', 'long ton', 'kg')).toBe('1016.0469088');
    expect(c('1', 'short ton mile', 'tkm')).toBe('1.45997231821056');
    expect(c('1000', 'kgkm', 'tkm')).toBe('1');
  });

  it('accepts PACT names and common symbols, and stores one canonical spelling', () => {
    expect(canonicalUnit('kilogram')).toBe('kg');
    expect(canonicalUnit('kilowatt hour')).toBe('kWh');
    expect(canonicalUnit('kwh')).toBe('kWh');
    expect(canonicalUnit('Liter')).toBe('l');
    expect(canonicalUnit('L')).toBe('l');
    expect(canonicalUnit('ton kilometer')).toBe('tkm');
    expect(canonicalUnit('MMBTU')).toBe('MMBtu');
    expect(canonicalUnit('mmBtu')).toBe('MMBtu');
    expect(canonicalUnit('US gallon')).toBe('gal');
    // short spellings are case-sensitive: mg is not Mg, and not a tonne
    expect(canonicalUnit('mg')).toBeUndefined();
    for (const d of UNIT_CATALOGUE) expect(canonicalUnit(d.symbol)).toBe(d.symbol);
  });

  it('an unknown unit names the accepted ones; an ambiguous one says what to write', () => {
    const err = (unit: string) => {
      try {
        convert(new Dec(1), unit, 'kg');
      } catch (e) {
        expect(isPcfError(e, 'ERR_UNIT')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err('furlong')).toMatch(
      /^unknown unit 'furlong'; accepted .*mass: kg, g, t, lb.*volume: m3, l, ml, gal, gal_imp/,
    );
    expect(err('ton')).toBe(
      "ambiguous unit 'ton': write t (tonne, 1000 kg), 'short ton' (2000 lb) or 'long ton' (2240 lb)",
    );
    expect(() => convert(new Dec(1), 'kg', 'kWh')).toThrow('cannot convert kg (mass) to kWh (energy)');
  });

  it('keeps the 2026-11 table for older records: rounded Btu and ft³, ton as tonne', () => {
    expect(UNITS_2026_11.convert(new Dec(1), 'mmBtu', 'kWh').toString()).toBe('293.071');
    expect(UNITS_2026_11.convert(new Dec(1), 'ton', 'kg').toString()).toBe('1000');
    expect(significant(convert(new Dec(1), 'MMBtu', 'kWh'), 39)).toBe(exactQuotient('1055055852.62', '3600000', 39));
  });
});
