export {
  createModbusCollector,
  type ModbusCollector,
  type CollectorDeps,
  type CollectorStore,
  type CollectorStats,
} from './collector';
export {
  configSchema,
  loadCollectorConfig,
  parseCollectorConfig,
  checkConfig,
  meterPoints,
  serialSettings,
  tcpEndpoint,
  DEFAULT_TCP_PORT,
  type CollectorConfig,
  type DeviceConfig,
  type SerialSettings,
  type Transport,
  type MeterConfig,
  type PointConfig,
  type ResolvedPoint,
} from './config';
export { planRequests, splitRequest, FUNCTION_CODE, type ReadRequest, type PlanLimits, type Hole } from './planner';
export {
  UNIT_FAILURE_EXCEPTIONS,
  type DeviceLink,
  type ReadData,
  type ReadResponse,
  type ReadGroup,
  type LinkStats,
} from './link';
export { createDeviceLink } from './links';
export { TcpLink } from './tcp-link';
export { RtuLink } from './rtu-link';
export { encodeRtuReadRequest, parseRtuReply, rtuReplyBytes, RTU_READ_REQUEST_BYTES, type RtuReply } from './rtu';
export { encodeReadRequest, parseReadReply, aduLength, type ReadReply } from './mbap';
export { MeterPoller, COLLECTOR_NAME } from './poller';
export { dryRun, formatDryRun, type DryRunReport } from './dry-run';
export { COMPONENT_NAME, siteClaimsOf } from './site-claims';
