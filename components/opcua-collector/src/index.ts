export {
  createOpcUaCollector,
  COLLECTOR_NAME,
  type OpcUaCollector,
  type OpcUaCollectorDeps,
  type OpcUaCollectorStats,
} from './collector';
export { configSchema, loadOpcUaConfig, validateOpcUaConfig, semanticErrors, kindOf } from './config';
export type { OpcUaCollectorConfig, EndpointConfig, MeterConfig, PointConfig } from './config';
export { decodeDataValue, qualityOf, int64PairToBigInt, applyScale, type Decoded } from './decode';
export { parseNodeId, type ParsedNodeId } from './node-id';
export { resolveNodeId } from './resolve-node-id';
export { COMPONENT_NAME, siteClaimsOf } from './site-claims';
