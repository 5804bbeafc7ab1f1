import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isPcfError, makeRollupBatch, silentLogger } from '@pcf-edge/core';
import { startLocalS3, type LocalS3 } from '../../test-support/s3';
import { objectKey, sha256Hex, type RawArchive } from '../src/archive/archive';
import { localFolderArchive } from '../src/archive/local';
import { currentViewDigest, replayArchive } from '../src/archive/replay';
import { parseS3Spec, s3Archive } from '../src/archive/s3';
import { createKinesisHandler } from '../src/ingest/lambda';
import { importReferenceFile } from '../src/reference/import';
import { demoRollups } from '../src/service/demo-rollups';
import { DEMO_DIR } from '../src/service/demo';
import type { CloudSinkRepository } from '../src/store/repository';
import { registerTestGateway, signedBatch, tempDb } from './helpers';
import { openPgInFreshSchema, PG_URL, pgSkipNotice } from './pg-support';

/**
 * The raw archive (ADR 0233): one contract for the local folder and S3 (against s3rver); every record the Lambda
 * handler stores is archived verbatim first; a replay from the archive alone yields the live store's current view and
 * history, on SQLite and PostgreSQL.
 */
let s3: LocalS3;
const tmp = mkdtempSync(join(tmpdir(), 'archive-test-'));
beforeAll(async () => {
  s3 = await startLocalS3(['archive']);
});
afterAll(async () => {
  await s3.close();
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
const archives: [string, () => { archive: RawArchive; corrupt(key: string): void }][] = [
  [
    'local folder',
    () => {
      const dir = join(tmp, `folder-${n++}`);
      return {
        archive: localFolderArchive(dir),
        corrupt: (key) => writeFileSync(join(dir, key), Buffer.from('not gzip')),
      };
    },
  ],
  [
    'S3 (s3rver)',
    () => {
      const prefix = `p${n++}/`;
      return {
        archive: s3Archive({ bucket: 'archive', prefix, client: s3.client }),
        corrupt: (key) => {
          // s3rver keeps an object's bytes in <bucket>/<key>._S3rver_object
          writeFileSync(join(s3.directory, 'archive', `${prefix}${key}._S3rver_object`), Buffer.from('not gzip'));
        },
      };
    },
  ],
];

describe.each(archives)('raw archive contract: %s', (_name, make) => {
  it('stores bytes verbatim under their SHA-256, compressed, once; lists and reads them back', async () => {
    const { archive } = make();
    const a = Buffer.from('{"schema":"pcf-edge.rollup-batch/1","rollups":[]}'.repeat(50));
    const b = Buffer.from('not even json \u0000\u00ff');
    const sa = await archive.put('batches', a);
    expect(sa).toBe(sha256Hex(a));
    expect(await archive.put('batches', a)).toBe(sa); // same bytes, same object
    const sb = await archive.put('batches', b);
    await archive.put('reference', Buffer.from('id,site\n'));
    expect(await archive.list('batches')).toEqual([sa, sb].sort());
    expect(await archive.list('reference')).toEqual([sha256Hex(Buffer.from('id,site\n'))]);
    expect((await archive.get('batches', sa)).equals(a)).toBe(true);
    expect((await archive.get('batches', sb)).equals(b)).toBe(true);
  });

  it('refuses an object that is missing, not gzip, or does not hash to its key', async () => {
    const { archive, corrupt } = make();
    const sha = await archive.put('batches', Buffer.from('hello'));
    await expect(archive.get('batches', 'f'.repeat(64))).rejects.toMatchObject({ code: 'ERR_ARCHIVE' });
    corrupt(objectKey('batches', sha));
    const err = await archive.get('batches', sha).catch((e: unknown) => e);
    expect(isPcfError(err, 'ERR_ARCHIVE')).toBe(true);
    expect((err as Error).message).toContain(`${objectKey('batches', sha)} is not gzip data`);
  });
});

it('a local object is gzip of the bytes; a write leaves no temporary file', async () => {
  const dir = join(tmp, 'plain');
  const bytes = Buffer.from('x'.repeat(10_000));
  const sha = await localFolderArchive(dir).put('batches', bytes);
  const stored = readFileSync(join(dir, objectKey('batches', sha)));
  expect(stored.length).toBeLessThan(200);
  expect(gunzipSync(stored).equals(bytes)).toBe(true);
  expect(readdirSync(join(dir, 'batches', sha.slice(0, 2)))).toEqual([`${sha}.gz`]);
  const tampered = join(tmp, 'tampered');
  const other = localFolderArchive(tampered);
  const s2 = await other.put('batches', Buffer.from('a'));
  writeFileSync(join(tampered, objectKey('batches', s2)), (await import('node:zlib')).gzipSync(Buffer.from('b')));
  await expect(other.get('batches', s2)).rejects.toThrow(/holds bytes whose SHA-256 is .* \(altered or corrupt\)/);
});

it('parses s3:// archive specs and refuses malformed ones', () => {
  expect(parseS3Spec('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
  expect(parseS3Spec('s3://my-bucket/raw')).toEqual({ bucket: 'my-bucket', prefix: 'raw/' });
  expect(parseS3Spec('/var/archive')).toBeUndefined();
  expect(() => parseS3Spec('s3://A')).toThrow(/is not s3:\/\/<bucket>\[\/<prefix>\/\] with a valid bucket name/);
});

it('archives an imported reference file verbatim under the sha256 of its version', async () => {
  const t = tempDb();
  const archive = localFolderArchive(join(tmp, 'ref'));
  await importReferenceFile(t.repo, 'sites', join(DEMO_DIR, 'sites.csv'), archive);
  const [v] = await t.repo.listReferenceVersions();
  expect((await archive.get('reference', v!.sha256)).toString('utf8')).toBe(
    readFileSync(join(DEMO_DIR, 'sites.csv'), 'utf8'),
  );
  await t.cleanup();
});

/** Batches as a gateway sends them: new windows, revisions (some out of order), a duplicate and an invalid record. */
function records(): Buffer[] {
  const pool = demoRollups();
  const rev = (i: number, r: number) => {
    const x = pool[i]!;
    return x.type === 'site'
      ? { ...x, revision: r, baseloadKWh: x.baseloadKWh + r }
      : { ...x, revision: r, electricityKWh: x.electricityKWh + r };
  };
  const batch = (rs: ReturnType<typeof rev>[], at: string) =>
    signedBatch(makeRollupBatch('gw-1', 'plant-1', rs, new Date(at))); // as gw-1 exports it: signed
  return [
    batch(
      pool.slice(0, 24).map((_, i) => rev(i, 1)),
      '2026-11-02T08:05:00Z',
    ),
    batch(
      pool.slice(24).map((_, i) => rev(24 + i, 1)),
      '2026-11-02T10:05:00Z',
    ),
    batch([rev(3, 3), rev(7, 2)], '2026-11-02T11:00:00Z'),
    batch([rev(3, 2)], '2026-11-02T11:30:00Z'), // older than revision 3: kept, not current
    batch(
      pool.slice(0, 24).map((_, i) => rev(i, 1)),
      '2026-11-02T08:05:00Z',
    ), // a duplicate record
    Buffer.from('{"schema":"nonsense"}'),
  ];
}

const stores: [string, () => Promise<{ repo: CloudSinkRepository; dispose(): Promise<void> }>][] = [
  [
    'SQLite',
    () => {
      const t = tempDb();
      return Promise.resolve({ repo: t.repo, dispose: () => t.cleanup() });
    },
  ],
];
const url = PG_URL;
if (url) stores.push(['PostgreSQL', () => openPgInFreshSchema(url)]);
else pgSkipNotice('raw archive');

describe.each(stores)('replay from the archive (%s)', (_name, open) => {
  it('rebuilds the same current view and history as the live store, from the archive alone', async () => {
    const live = await open();
    const rebuilt = await open();
    try {
      // the gateway's key is registered in both stores: a replay checks signatures as the consumer does
      for (const s of [live, rebuilt]) await registerTestGateway(s.repo);
      const archive = s3Archive({ bucket: 'archive', prefix: `replay-${n++}/`, client: s3.client });
      const handle = createKinesisHandler({ repo: live.repo, log: silentLogger(), archive });
      const recs = records();
      const out = await handle({
        Records: recs.map((r, i) => ({ kinesis: { data: r.toString('base64'), sequenceNumber: String(i + 1) } })),
      });
      expect(out.batchItemFailures).toEqual([]);
      // five distinct records (one duplicate) are archived
      expect(await archive.list('batches')).toEqual([...new Set(recs.map((r) => sha256Hex(r)))].sort());
      const report = await replayArchive(rebuilt.repo, archive);
      expect(report).toEqual({ batches: 5, rollups: 51, revisions: 51, deadLettered: 1 });
      const [a, b] = [await currentViewDigest(live.repo), await currentViewDigest(rebuilt.repo)];
      expect(a.rollups).toBe(48);
      expect(b).toEqual(a);
      const keys = demoRollups().flatMap((r) => [1, 2, 3].map((revision) => ({ id: r.id, revision })));
      const kept = async (repo: CloudSinkRepository) =>
        (await repo.getRollupRevisions(keys)).map((k) => [k.rollup, JSON.parse(k.doc) as unknown]);
      expect(await kept(rebuilt.repo)).toEqual(await kept(live.repo));
      expect((await rebuilt.repo.getRollups([demoRollups()[3]!.id]))[0]).toMatchObject({ revision: 3 });
      // a replay rebuilds; it does not merge into a store that has rollups
      await expect(replayArchive(rebuilt.repo, archive)).rejects.toThrow(
        'replay: the store already holds 48 rollups; replay into an empty store (a replay rebuilds, it does not merge)',
      );
    } finally {
      await live.dispose();
      await rebuilt.dispose();
    }
  });
});
