/**
 * @pcf-edge/pcf-engine: the PCF method as a pure function of reference data and energy, with its own input types.
 * No store, service, HTTP or AWS code; no module-level mutable state. See README.md.
 */
export * from './activity';
export * from './allocation';
export * from './biogenic';
export * from './bom';
export * from './calculate';
export * from './decimal';
export * from './energy';
export * from './energy-sum';
export * from './factors';
export * from './gwp';
export * from './masses';
export * from './direct';
export * from './materials';
export * from './options';
export * from './orders';
export * from './period-parts';
export * from './pricing';
export * from './product';
export * from './reference';
export * from './reference-index';
export * from './segments';
export * from './supply';
export * from './types';
export * from './units';
export * from './unit-catalogue';
export * from './unit-tables';
export { UNITS_2026_11 } from './units-2026-11';
