import fc from 'fast-check';
import { silentLogger } from '@pcf-edge/core';
import { toMicro } from '@pcf-edge/pcf-engine';
import { createKinesisHandler } from '../../cloud-sink/src/ingest/lambda';
import { decodeRecord } from '../../cloud-sink/src/ingest/decode';
import { openSqliteRepository } from '../../cloud-sink/src/store/sqlite';
import { InvariantError, type FuzzTarget } from '../engine';
import { batchSigner, makeRollupBatch } from '@pcf-edge/core';
import { createBatchVerifier } from '../../cloud-sink/src/ingest/verify';
import { openSecurityStore } from '../../cloud-sink/src/store/security-store';
import { batchJson, FUZZ_GATEWAY_KEY, lineRollup, signedBatchJson, tempDir } from './support';
import Database from 'better-sqlite3';
import { join } from 'node:path';

/**
 * Kinesis records to the Lambda handler (in-process, SQLite repository, gateway gw-1 registered for site-1 with
 * FUZZ_GATEWAY_KEY). Each event holds the fuzzed record and then a good (signed) record. Invariant: no batch item
 * failures; the fuzzed record is either a batch signed by the registered key for its sites (stored) or one
 * dead-letter row with a non-empty reason (unsigned, forged, unknown key, invalid…); the good record after it is stored.
 */
export const kinesisRecords: FuzzTarget = {
  name: 'kinesis-records',
  seeds: () => [
    signedBatchJson('line-a', 0, 1),
    signedBatchJson('line-d', 3, 3),
    batchSigner({ ...FUZZ_GATEWAY_KEY, kid: 'unknown-key' }).sign(batchJson('line-e', 0, 1)),
    batchSigner(FUZZ_GATEWAY_KEY).sign(
      Buffer.from(
        JSON.stringify(
          makeRollupBatch('gw-1', 'site-2', [{ ...lineRollup('line-f', 0), site: 'site-2' }], new Date(0)),
        ),
      ),
    ),
    batchJson('line-a', 0, 1),
    batchJson('line-b', 10, 4),
    Buffer.from('{"schema":"pcf-edge.rollup-batch/1","rollups":[]}'),
    Buffer.from('{not json'),
    Buffer.from(
      JSON.stringify({
        ...JSON.parse(batchJson('line-c', 0, 2).toString()),
        rollups: [{ ...lineRollup('line-c', 0), revision: -1 }],
      }),
    ),
  ],
  arbitrary: fc.oneof(
    fc.uint8Array({ maxLength: 512 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
  ),
  maxBytes: 256 * 1024,
  async setup() {
    const tmp = tempDir('kinesis');
    const file = join(tmp.dir, 'db.sqlite');
    const repo = openSqliteRepository({ file });
    const security = openSecurityStore(repo);
    await security.addGatewayKey({
      keyId: FUZZ_GATEWAY_KEY.kid,
      gatewayId: 'gw-1',
      publicKey: FUZZ_GATEWAY_KEY.x,
      sites: ['site-1'],
    });
    const verify = createBatchVerifier(security);
    const handler = createKinesisHandler({ repo, log: silentLogger(), verify });
    const sign = batchSigner(FUZZ_GATEWAY_KEY);
    const peek = new Database(file, { readonly: true });
    const lastDead = peek.prepare('SELECT source, reason FROM dead_letters ORDER BY rowid DESC LIMIT 1');
    let n = 0;
    return {
      async run(input) {
        n++;
        const good = lineRollup('fuzz-good', n);
        const event = {
          Records: [
            { eventSourceARN: 'fuzz', kinesis: { data: input.toString('base64'), sequenceNumber: `${n}-a` } },
            {
              eventSourceARN: 'fuzz',
              kinesis: {
                data: sign
                  .sign(
                    Buffer.from(JSON.stringify({ ...JSON.parse(batchJson('x', 0, 1).toString()), rollups: [good] })),
                  )
                  .toString('base64'),
                sequenceNumber: `${n}-b`,
              },
            },
          ],
        };
        const res = await handler(event);
        if (res.batchItemFailures.length > 0)
          throw new InvariantError(`batch item failures: ${JSON.stringify(res.batchItemFailures)}`);
        if (!(await decodeRecord(input, 'probe', 0, verify)).ok) {
          const dead = lastDead.get() as { source: string; reason: string } | undefined;
          if (!dead || dead.source !== `fuzz/${n}-a` || dead.reason.trim() === '')
            throw new InvariantError(
              `no dead letter with a reason for a rejected record (last: ${JSON.stringify(dead)})`,
            );
        }
        const [stored] = await repo.getRollups([good.id]);
        if (!stored || stored.electricityMicroKWh !== toMicro(good.electricityKWh))
          throw new InvariantError('the good record after the fuzzed one was not stored');
      },
      async teardown() {
        peek.close();
        await repo.close();
        tmp.remove();
      },
    };
  },
};
