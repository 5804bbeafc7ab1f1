import { createHash } from 'node:crypto';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { PcfError } from './errors';
import { formatAjvError } from './config';
import { ROLLUP_BATCH_SCHEMA_ID, type Rollup, type RollupBatch } from './rollup';
import rollupBatchSchema from '../schemas/rollup-batch.schema.json';

export { rollupBatchSchema };

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile<RollupBatch>(rollupBatchSchema);

/** Validates a parsed rollup batch; throws ERR_RECORD_INVALID listing every `path: message`. */
export function validateRollupBatch(doc: unknown): RollupBatch {
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
