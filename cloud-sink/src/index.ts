export * from './store/repository';
export { openSqliteRepository, isTransientStoreError, type SqliteRepositoryOptions } from './store/sqlite';
export { MIGRATIONS, GENESIS_HASH } from './store/migrations';
export * from './reference/types';
export { importReferenceFile, importParsed, type ImportResult } from './reference/import';
export { loadSnapshot } from './reference/snapshot';
export {
  computePeriod,
  activityEmissions,
  GWP_SETS,
  GWP_SET_NAMES,
  co2ePerUnit,
  convert,
  canonicalUnit,
  Dec,
  present,
  microToNumber,
  toMicro,
  ALLOCATION_KEYS,
  type PeriodCalculation,
  type OrderResult,
  type LineBalance,
  type ProductResult,
  type GwpSet,
  type CalcOptions,
  type AllocationKey,
  type ElectricityMethod,
  type EngineInput,
  type TraceNode,
} from '@pcf-edge/pcf-engine';
export {
  PcfService,
  loadEngineInput,
  readReference,
  type PcfServiceLimits,
  type Reference,
  type AuditBody,
} from './service/pcf-service';
export { productResultDoc, type ProductResultDoc, DISPLAY_DECIMALS } from './service/result-doc';
export { importDirectory, DEMO_DIR, IMPORT_ORDER } from './service/demo';
export { demoRollups, demoBatch, DEMO_DAY } from './service/demo-rollups';
export { verifyAudit, type VerifyReport } from './audit/verify';
export { showAudit, renderTree } from './audit/show';
export { canonicalJson, contentHash, chainHash } from './audit/hash';
export { createKinesisHandler, type KinesisEvent, type BatchResponse } from './ingest/lambda';
export { createKinesisConsumer, kinesisClientFor, type KinesisConsumerConfig } from './ingest/poller';
export { decodeRecord } from './ingest/decode';
export { decodeRollup, decodeRollups } from './ingest/quantities';
export { runCli } from './cli/run';
export {
  openSecurityStore,
  type SecurityStore,
  type ClientRecord,
  type Grant,
  type GatewayKey,
  type EventsEndpoint,
} from './store/security-store';
export { createBatchVerifier, type BatchVerifier } from './ingest/verify';
export { createApiServer } from './api/server';
export { type RawArchive, type ArchiveKind } from './archive/archive';
export { localFolderArchive } from './archive/local';
export { s3Archive, type S3ArchiveOptions } from './archive/s3';
export { replayArchive, currentViewDigest } from './archive/replay';
export { findStaleResults, type StaleResult } from './service/stale';
export { recomputeStale, type RecomputeOutcome } from './service/recompute';
export { UPSERT_ROLLUP_POSITIONAL, rollupParams } from './store/rollup-rows';
