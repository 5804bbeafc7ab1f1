import { decodeRollups } from '../src/ingest/quantities';
import { makeRollupBatch } from '@pcf-edge/core';
import { lineRollup, tempDb, type TempDb } from './helpers';

describe('SQLite repository', () => {
  let t: TempDb;
  beforeEach(() => {
    t = tempDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('upserts rollups by id keeping the highest revision', async () => {
    const r1 = lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 10);
    const r2 = { ...r1, revision: 2, electricityKWh: 12 };
    expect(await t.repo.ingest({ rollups: decodeRollups([r1]), deadLetters: [] })).toEqual({
      applied: 1,
      ignored: 0,
      deadLettered: 0,
      revisions: 1,
    });
    expect(await t.repo.ingest({ rollups: decodeRollups([r2]), deadLetters: [] })).toEqual({
      applied: 1,
      ignored: 0,
      deadLettered: 0,
      revisions: 1,
    });
    expect(await t.repo.ingest({ rollups: decodeRollups([r1]), deadLetters: [] })).toEqual({
      applied: 0,
      ignored: 1,
      deadLettered: 0,
      revisions: 0,
    });
    const [stored] = await t.repo.getRollups([r1.id]);
    expect(stored).toMatchObject({ revision: 2, electricityMicroKWh: 12_000_000, line: 'line-1', windowMs: 900_000 });
    expect(await t.repo.countRollups()).toBe(1);
    expect(makeRollupBatch('gw', 'plant-1', [r2], new Date()).rollups).toHaveLength(1);
  });

  it('queries windows overlapping a range', async () => {
    await t.repo.ingest({
      rollups: decodeRollups([
        lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 1),
        lineRollup('line-1', '2026-01-01T00:15:00.000Z', 1, 2),
        lineRollup('line-2', '2026-01-01T00:15:00.000Z', 1, 3),
      ]),
      deadLetters: [],
    });
    const rows = await t.repo.queryRollups({
      type: 'line',
      line: 'line-1',
      fromMs: Date.parse('2026-01-01T00:10:00Z'),
      toMs: Date.parse('2026-01-01T00:20:00Z'),
    });
    expect(rows.map((r) => r.electricityMicroKWh)).toEqual([1_000_000, 2_000_000]);
  });

  it('stores dead letters and checkpoints in the same transaction as upserts', async () => {
    await t.repo.ingest({
      rollups: decodeRollups([lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 1)]),
      deadLetters: [{ source: 's/shard-0/1', reason: 'bad json', payload: '{', receivedAtMs: 1 }],
      checkpoint: { stream: 's', shardId: 'shard-0', sequenceNumber: '42' },
    });
    expect(await t.repo.getCheckpoints('s')).toEqual(new Map([['shard-0', '42']]));
    expect((await t.repo.listDeadLetters())[0]).toMatchObject({ reason: 'bad json', payload: '{' });
  });

  it('keeps every reference version queryable', async () => {
    const v1 = await t.repo.importReference({
      kind: 'sites',
      source: 'a',
      sha256: 'x',
      entities: [{ entityId: 's', hash: 'h1', data: { id: 's', region: 'GB' } }],
    });
    const v2 = await t.repo.importReference({
      kind: 'sites',
      source: 'b',
      sha256: 'y',
      entities: [{ entityId: 's', hash: 'h2', data: { id: 's', region: 'FR' } }],
    });
    expect(v2).toBe(v1 + 1);
    expect((await t.repo.getReference('sites', v1))[0]!.data).toEqual({ id: 's', region: 'GB' });
    expect((await t.repo.getReference('sites', v2))[0]!.data).toEqual({ id: 's', region: 'FR' });
    expect((await t.repo.listReferenceVersions()).map((v) => v.source)).toEqual(['a', 'b']);
  });
});
