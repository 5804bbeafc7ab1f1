import { createHash } from 'node:crypto';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { PcfError } from './errors';
import { formatAjvError } from './config';
import { ROLLUP_BATCH_SCHEMA_ID, type Rollup, type RollupBatch } from './rollup';
import rollupBatchSchema from '../schemas/rollup-batch.schema.json';

export { rollupBatchSchema };

let compiled: ValidateFunction<RollupBatch> | undefined;

/**
 * The batch validator, compiled on first use: the processes that load this package without handling batches (the
 * collectors) do not pay for an ajv instance and its generated code.
 */
function validator(): ValidateFunction<RollupBatch> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    compiled = ajv.compile<RollupBatch>(rollupBatchSchema);
  }
  return compiled;
}

/** Validates a parsed rollup batch; throws ERR_RECORD_INVALID listing every `path: message`. */
export function validateRollupBatch(doc: unknown): RollupBatch {
  const validate = validator();
  if (!validate(doc)) {
    const errors = [...new Set((validate.errors ?? []).filter((e) => e.keyword !== 'if').map(formatAjvError))];
    throw new PcfError('ERR_RECORD_INVALID', `invalid ${ROLLUP_BATCH_SCHEMA_ID} document: ${errors.join('; ')}`, {
      errors,
    });
  }
  return doc;
}

/** Builds a batch whose id is the hash of the (id, revision) pairs it carries, so a resend has the same id. */
export function makeRollupBatch(gatewayId: string, site: string, rollups: Rollup[], createdAt: Date): RollupBatch {
  const h = createHash('sha256');
  for (const r of rollups) h.update(`${r.id}:${r.revision};`);
  return {
    schema: ROLLUP_BATCH_SCHEMA_ID,
    batchId: h.digest('hex').slice(0, 32),
    gatewayId,
    site,
    createdAt: createdAt.toISOString(),
    rollups,
  };
}
