/**
 * The unit catalogue: every unit pcf-edge accepts, with its exact size in its dimension's base unit. Base units:
 * mass kg, volume m3, energy J, transport tkm, area m2, count piece, time s. Every size is a terminating decimal
 * (a definition, not a measurement), so converting *to* a base is one exact multiplication and any conversion is
 * the exact ratio of two such numbers (one division, rounded at Dec's 40th digit only when it does not terminate).
 *
 * Sources of the definitions: SI; the international yard and pound (1959: 1 yd = 0.9144 m, 1 lb = 0.45359237 kg);
 * US gallon = 231 in³; imperial gallon = 4.54609 L (UK Weights and Measures Act 1985); Btu = International Table
 * Btu = 1055.05585262 J (ISO 31-4); therm = 100,000 Btu (the US definition used by EIA and EPA); statute mile =
 * 1609.344 m.
 */
export type Dimension = 'mass' | 'volume' | 'energy' | 'transport' | 'area' | 'count' | 'time';

export interface UnitDef {
  /** Canonical spelling: what reference data stores. */
  symbol: string;
  dimension: Dimension;
  /** Exact size in the dimension's base unit, a terminating decimal. */
  inBase: string;
  /** Its PACT v2 `declaredUnit` name, for the units a product may be declared in. */
  pact?: string;
  /** Other accepted spellings: matched exactly; a spelling of 4 or more characters also ignoring case. */
  names: readonly string[];
  /** What it is, for documentation and error messages. */
  definition: string;
}

const u = (
  symbol: string,
  dimension: Dimension,
  inBase: string,
  definition: string,
  names: string[] = [],
  pact?: string,
): UnitDef => ({ symbol, dimension, inBase, definition, names, ...(pact ? { pact } : {}) });

export const BASE_UNITS: Record<Dimension, string> = {
  mass: 'kg',
  volume: 'm3',
  energy: 'J',
  transport: 'tkm',
  area: 'm2',
  count: 'piece',
  time: 's',
};

export const UNIT_CATALOGUE: readonly UnitDef[] = [
  u('kg', 'mass', '1', 'kilogram', ['kilogram', 'kilograms', 'kilo', 'kgs'], 'kilogram'),
  u('g', 'mass', '0.001', 'gram', ['gram', 'grams']),
  u('t', 'mass', '1000', 'tonne (metric ton), 1000 kg', ['tonne', 'tonnes', 'metric ton', 'metric tons']),
  u('lb', 'mass', '0.45359237', 'avoirdupois pound', ['lbs', 'pound', 'pounds']),
  u('oz', 'mass', '0.028349523125', 'avoirdupois ounce, 1/16 lb', ['ounce', 'ounces']),
  u('short ton', 'mass', '907.18474', 'US short ton, 2000 lb', ['short tons', 'US ton', 'US tons', 'sh tn']),
  u('long ton', 'mass', '1016.0469088', 'imperial long ton, 2240 lb', ['long tons', 'UK ton', 'UK tons']),
  u(
    'm3',
    'volume',
    '1',
    'cubic metre',
    ['m³', 'cubic meter', 'cubic meters', 'cubic metre', 'cubic metres'],
    'cubic meter',
  ),
  u('l', 'volume', '0.001', 'litre', ['L', 'liter', 'liters', 'litre', 'litres'], 'liter'),
  u('ml', 'volume', '0.000001', 'millilitre', ['mL', 'milliliter', 'millilitre']),
  u('gal', 'volume', '0.003785411784', 'US gallon, 231 in³ = 3.785411784 L', [
    'US gal',
    'gal_us',
    'gallon',
    'gallons',
    'US gallon',
    'US gallons',
  ]),
  u('gal_imp', 'volume', '0.00454609', 'imperial gallon, 4.54609 L', [
    'imp gal',
    'UK gal',
    'imperial gallon',
    'imperial gallons',
    'UK gallon',
    'UK gallons',
  ]),
  u('bbl', 'volume', '0.158987294928', 'US oil barrel, 42 US gallons', ['barrel', 'barrels', 'oil barrel']),
  u('ft3', 'volume', '0.028316846592', 'cubic foot, (0.3048 m)³', [
    'ft³',
    'cf',
    'cu ft',
    'cubic foot',
    'cubic feet',
    'scf',
  ]),
  u('hcf', 'volume', '2.8316846592', 'hundred cubic feet (ccf)', ['ccf', 'CCF', 'HCF']),
  u('Mcf', 'volume', '28.316846592', 'thousand cubic feet', ['mcf', 'MCF']),
  u('J', 'energy', '1', 'joule', ['joule', 'joules']),
  u('kJ', 'energy', '1000', 'kilojoule', ['kj', 'kilojoule', 'kilojoules']),
  u('MJ', 'energy', '1000000', 'megajoule', ['mj', 'megajoule', 'megajoules'], 'megajoule'),
  u('GJ', 'energy', '1000000000', 'gigajoule', ['gj', 'gigajoule', 'gigajoules']),
  u('TJ', 'energy', '1000000000000', 'terajoule', ['terajoule', 'terajoules']),
  u('Wh', 'energy', '3600', 'watt hour', ['wh', 'watt hour', 'watt hours']),
  u(
    'kWh',
    'energy',
    '3600000',
    'kilowatt hour, 3.6 MJ',
    ['kwh', 'kilowatt hour', 'kilowatt hours', 'kilowatt-hour'],
    'kilowatt hour',
  ),
  u('MWh', 'energy', '3600000000', 'megawatt hour', ['mwh', 'megawatt hour', 'megawatt hours']),
  u('GWh', 'energy', '3600000000000', 'gigawatt hour', ['gwh', 'gigawatt hour', 'gigawatt hours']),
  u('Btu', 'energy', '1055.05585262', 'British thermal unit (International Table)', ['BTU', 'btu']),
  u('kBtu', 'energy', '1055055.85262', '1000 Btu', ['kBTU']),
  u('therm', 'energy', '105505585.262', 'US therm, 100,000 Btu', ['therms', 'thm']),
  u('Dth', 'energy', '1055055852.62', 'dekatherm, 10 therms = 1 MMBtu', ['dekatherm', 'dekatherms']),
  u('MMBtu', 'energy', '1055055852.62', 'million Btu', ['mmBtu', 'mmbtu', 'MMBTU', 'million Btu']),
  u(
    'tkm',
    'transport',
    '1',
    'tonne kilometre',
    ['t·km', 't km', 'tonne kilometer', 'tonne kilometre', 'ton kilometer'],
    'ton kilometer',
  ),
  u('kgkm', 'transport', '0.001', 'kilogram kilometre', ['kg·km', 'kg km', 'kilogram kilometer']),
  u('tmi', 'transport', '1.609344', 'tonne mile (statute mile)', ['t·mi', 't mi', 'tonne mile', 'tonne-mile']),
  u('short ton mile', 'transport', '1.45997231821056', 'US short ton × statute mile', [
    'short ton-mile',
    'US ton-mile',
  ]),
  u(
    'm2',
    'area',
    '1',
    'square metre',
    ['m²', 'square meter', 'square meters', 'square metre', 'square metres'],
    'square meter',
  ),
  u('ft2', 'area', '0.09290304', 'square foot', ['ft²', 'sq ft', 'square foot', 'square feet']),
  u(
    'piece',
    'count',
    '1',
    'one item (pcf-edge extension; PACT v2 has no piece)',
    ['pieces', 'pcs', 'pc', 'unit', 'units', 'count', 'item', 'items'],
    'piece',
  ),
  u('s', 'time', '1', 'second', ['second', 'seconds', 'sec']),
  u('min', 'time', '60', 'minute', ['minute', 'minutes']),
  u('h', 'time', '3600', 'hour', ['hour', 'hours', 'hr']),
];

/** Spellings refused because they mean different sizes in different places; the message says which to write. */
export const AMBIGUOUS_UNITS: Readonly<Record<string, string>> = {
  ton: "write t (tonne, 1000 kg), 'short ton' (2000 lb) or 'long ton' (2240 lb)",
  tons: "write t (tonne, 1000 kg), 'short ton' (2000 lb) or 'long ton' (2240 lb)",
  'ton-mile': "write tmi (tonne mile) or 'short ton mile'",
  'ton mile': "write tmi (tonne mile) or 'short ton mile'",
  MBtu: 'write kBtu (1000 Btu) or MMBtu (million Btu)',
};
