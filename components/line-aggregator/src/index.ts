export {
  createLineAggregator,
  STATE_OWNER,
  type LineAggregator,
  type LineAggregatorDeps,
  type AggregatorStore,
} from './aggregator';
export {
  loadAggregatorConfig,
  validateAggregatorConfig,
  configSchema,
  type AggregatorConfig,
  type MeterConfig,
  type MeterRole,
} from './config';
export { PointSettingsResolver, type PointSettings } from './point-settings';
export { COMPONENT_NAME, siteClaimsOf, ownSiteModel } from './site-claims';
export {
  advanceCounter,
  EMPTY_COUNTER_STATE,
  type CounterSettings,
  type CounterState,
  type CounterSample,
  type Segment,
} from './counter/counter-engine';
export { allocateSegment } from './counter/allocate';
export { advanceGauge, type GaugeSettings } from './gauge/gauge-filter';
export { createCalorificSchedule, gasEnergy } from './gas/calorific';
