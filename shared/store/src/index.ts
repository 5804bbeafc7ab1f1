export * from './types';
export { openStore, GatewayStore, siteClaimProblemsAt, siteModelCheck, type StoreOptions } from './store';
export type { OpenOptions } from './open';
export type { ReadingWriter, ReadingWriterOptions } from './writer';
export type { RollupFilter, PendingOutboxOptions, OutboxBodyRow } from './rollups';
export type { PruneOptions, PruneResult } from './retention';
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations';
export { toStoreError } from './errors';
export { STORE_FULL_FLAG_ENV } from './size-cap';
/** The readings INSERTs and their parameters, for benchmarks whose bare baseline runs the same statement. */
export { INSERT_READING_SQL, INSERT_VALUE_SQL, readingParams, valueParams } from './rows';
export { ReadingArrayRows, type ReadingRows } from './rows';
export {
  DEFAULT_HEALTH_LIMITS,
  gatewayHealth,
  gatewayStatus,
  type GatewayHealth,
  type GatewayStatus,
  type HealthLimits,
} from './gateway-status';
