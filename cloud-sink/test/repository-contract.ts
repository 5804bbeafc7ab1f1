import { decodeRollups } from '../src/ingest/quantities';
import { isPcfError } from '@pcf-edge/core';
import { chainHash } from '../src/audit/hash';
import { GENESIS_HASH } from '../src/store/migrations';
import { openSecurityStore } from '../src/store/security-store';
import type { CloudSinkRepository, StoredFootprint, StoredResult } from '../src/store/repository';
import { verifyAudit } from '../src/audit/verify';
import { importDirectory } from '../src/service/demo';
import { demoRollups } from '../src/service/demo-rollups';
import { PcfService } from '../src/service/pcf-service';
import { lineRollup } from './helpers';

/** Opens a fresh, empty repository; `dispose` closes it and removes whatever the factory created. */
export interface RepositoryFactory {
  name: string;
  open(): Promise<{ repo: CloudSinkRepository; dispose(): Promise<void> }>;
}

const result = (id: string, createdAtMs: number): StoredResult => ({
  id,
  kind: 'product',
  subject: 'widget',
  periodStart: '2026-11-02T06:00:00.000Z',
  periodEnd: '2026-11-02T10:00:00.000Z',
  method: 'location',
  gwpSet: 'AR6',
  result: { pcf: '1.5', id },
  createdAtMs,
});

const footprint = (id: string, version: number, status: StoredFootprint['status'], at: number): StoredFootprint => ({
  id,
  version,
  status,
  productId: 'widget',
  periodStart: '2026-11-02T06:00:00.000Z',
  periodEnd: '2026-11-02T10:00:00.000Z',
  method: 'location',
  gwpSet: 'AR6',
  resultId: `r-${id}-${version}`,
  createdAtMs: 1000,
  updatedAtMs: at,
  doc: { id, version, status },
});

/** The behaviour every CloudSinkRepository implementation must show; run with `describe.each` style per factory. */
export function repositoryContract(factory: RepositoryFactory): void {
  describe(`repository contract: ${factory.name}`, () => {
    let repo: CloudSinkRepository;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ repo, dispose } = await factory.open());
    });
    afterEach(async () => {
      await dispose();
    });

    it('upserts rollups keeping the highest revision and queries overlapping windows', async () => {
      const r1 = lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 10);
      expect(
        await repo.ingest({
          rollups: decodeRollups([r1, lineRollup('line-1', '2026-01-01T00:15:00.000Z', 1, 2)]),
          deadLetters: [],
        }),
      ).toEqual({ applied: 2, ignored: 0, deadLettered: 0, revisions: 2 });
      expect(
        await repo.ingest({ rollups: decodeRollups([{ ...r1, revision: 2, electricityKWh: 12 }]), deadLetters: [] }),
      ).toMatchObject({ applied: 1 });
      expect(await repo.ingest({ rollups: decodeRollups([r1]), deadLetters: [] })).toMatchObject({
        applied: 0,
        ignored: 1,
      });
      const rows = await repo.queryRollups({
        type: 'line',
        line: 'line-1',
        fromMs: Date.parse('2026-01-01T00:10:00Z'),
        toMs: Date.parse('2026-01-01T00:20:00Z'),
      });
      expect(rows.map((r) => [r.electricityMicroKWh, r.revision, r.estimated])).toEqual([
        [12_000_000, 2, false],
        [2_000_000, 1, false],
      ]);
      expect((await repo.getRollups([r1.id, 'missing'])).map((r) => r.windowStartMs)).toEqual([
        Date.parse('2026-01-01T00:00:00Z'),
      ]);
      expect(await repo.countRollups()).toBe(2);
    });

    it('answers a period query of every shape (line and/or site given or not) with the rows as stored', async () => {
      const at = '2026-01-01T00:00:00.000Z';
      const rollups = [
        lineRollup('line-1', at, 1, 1, { gasKWh: 2.5, gasCvBasis: 'gross', estimated: true, coverage: 0.5 }),
        lineRollup('line-2', at, 1, 3, { site: 'plant-2' }),
        lineRollup('line-3', at, 1, 4),
      ];
      await repo.ingest({ rollups: decodeRollups(rollups), deadLetters: [] });
      const fromMs = Date.parse(at),
        toMs = fromMs + 900_000;
      const stored = new Map((await repo.getRollups(rollups.map((r) => r.id))).map((r) => [r.id, r]));
      const ids = async (q: { site?: string; line?: string }) => {
        const rows = await repo.queryRollups({ type: 'line', fromMs, toMs, ...q });
        for (const r of rows) expect(r).toEqual(stored.get(r.id));
        return rows.map((r) => r.line).sort();
      };
      expect(await ids({})).toEqual(['line-1', 'line-2', 'line-3']);
      expect(await ids({ site: 'plant-1' })).toEqual(['line-1', 'line-3']);
      expect(await ids({ line: 'line-2' })).toEqual(['line-2']);
      expect(await ids({ site: 'plant-2', line: 'line-2' })).toEqual(['line-2']);
      expect(await ids({ site: 'plant-1', line: 'line-2' })).toEqual([]);
      expect(stored.get(rollups[0]!.id)).toMatchObject({
        site: 'plant-1',
        gasMicroKWh: 2_500_000,
        gasCvBasis: 'gross',
        estimated: true,
        coverage: 0.5,
      });
    });

    it('stores dead letters and checkpoints with the ingest', async () => {
      await repo.ingest({
        rollups: [],
        deadLetters: [{ source: 's/0/1', reason: 'bad', payload: "x'; DROP TABLE rollups; --", receivedAtMs: 5 }],
        checkpoint: { stream: 's', shardId: 'shard-0', sequenceNumber: '42' },
      });
      await repo.ingest({
        rollups: [],
        deadLetters: [],
        checkpoint: { stream: 's', shardId: 'shard-0', sequenceNumber: '43' },
      });
      expect(await repo.getCheckpoints('s')).toEqual(new Map([['shard-0', '43']]));
      expect(await repo.listDeadLetters()).toEqual([
        { source: 's/0/1', reason: 'bad', payload: "x'; DROP TABLE rollups; --", receivedAtMs: 5 },
      ]);
      expect(await repo.countRollups()).toBe(0);
    });

    it('moves a shard checkpoint forward only (sequence numbers as numbers), keeps others apart', async () => {
      const at = (shardId: string, sequenceNumber: string) =>
        repo.ingest({ rollups: [], deadLetters: [], checkpoint: { stream: 's', shardId, sequenceNumber } });
      await at('shard-0', '49590338271490256608559692538361571095921575989136588898');
      await at('shard-0', '49590338271490256608559692538361571095921575989136588897'); // a consumer behind: ignored
      await at('shard-0', '9999'); // shorter: smaller
      await at('shard-1', '10');
      await at('shard-1', '9');
      expect(await repo.getCheckpoints('s')).toEqual(
        new Map([
          ['shard-0', '49590338271490256608559692538361571095921575989136588898'],
          ['shard-1', '10'],
        ]),
      );
      await at('shard-1', '100');
      expect((await repo.getCheckpoints('s')).get('shard-1')).toBe('100');
    });

    it('keeps one rollup per id from a write that holds it twice: the highest revision, counted once', async () => {
      const r = lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 10);
      const out = await repo.ingest({
        rollups: decodeRollups([
          { ...r, revision: 3, electricityKWh: 30 },
          r,
          { ...r, revision: 2, electricityKWh: 20 },
        ]),
        deadLetters: [],
      });
      expect(out).toEqual({ applied: 1, ignored: 2, deadLettered: 0, revisions: 3 });
      expect(await repo.getRollups([r.id])).toMatchObject([{ revision: 3, electricityMicroKWh: 30_000_000 }]);
    });

    it('keeps every revision, whatever the order of arrival; a kept revision never changes', async () => {
      const r = lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 10);
      const rev = (revision: number, kWh: number) => ({ ...r, revision, electricityKWh: kWh });
      expect(await repo.ingest({ rollups: decodeRollups([rev(3, 30)]), deadLetters: [] })).toMatchObject({
        applied: 1,
        revisions: 1,
      });
      // older revisions arriving late: not current, but kept
      expect(await repo.ingest({ rollups: decodeRollups([rev(1, 10), rev(2, 20)]), deadLetters: [] })).toMatchObject({
        applied: 0,
        ignored: 2,
        revisions: 2,
      });
      // a duplicate (id, revision) with other values changes nothing
      expect(await repo.ingest({ rollups: decodeRollups([rev(2, 99)]), deadLetters: [] })).toMatchObject({
        applied: 0,
        revisions: 0,
      });
      const kept = await repo.getRollupRevisions([
        { id: r.id, revision: 2 },
        { id: r.id, revision: 9 },
        { id: r.id, revision: 1 },
        { id: r.id, revision: 3 },
      ]);
      expect(kept.map((k) => [k.rollup.revision, k.rollup.electricityMicroKWh])).toEqual([
        [2, 20_000_000],
        [1, 10_000_000],
        [3, 30_000_000],
      ]);
      expect(JSON.parse(kept[0]!.doc)).toMatchObject({ id: r.id, revision: 2, electricityKWh: 20 });
      expect(await repo.getRollups([r.id])).toMatchObject([{ revision: 3 }]);
      expect(await repo.pageCurrentRollups('', 10)).toMatchObject([{ id: r.id, revision: 3 }]);
      expect(await repo.currentViewProblems()).toEqual([]);
    });

    it('records recomputations, and queues Published events with their footprints in one transaction', async () => {
      const rec = {
        resultId: 'r1',
        successorId: null,
        rollupsSha256: 'ab'.repeat(32),
        relativeChange: '0.0004',
        threshold: '0.001',
        note: 'below threshold',
        createdAtMs: 5,
      };
      await repo.appendRecomputation(rec);
      expect(await repo.listRecomputations()).toEqual([rec]);
      const security = openSecurityStore(repo);
      const delivery = (id: string) => ({
        id,
        clientId: 'acme',
        type: 't',
        url: 'https://acme.example/2/events',
        body: '{"data":{"pfIds":["f9"]}}',
        nextAttemptMs: 7,
        createdAtMs: 7,
      });
      await repo.saveFootprintVersions([footprint('f9', 1, 'Active', 7)], [delivery('e1')]);
      expect(await security.listDeliveries()).toEqual([{ ...delivery('e1'), status: 'pending', attempts: 0 }]);
      // a refused footprint write queues nothing
      await expect(repo.saveFootprintVersions([footprint('f9', 1, 'Active', 8)], [delivery('e2')])).rejects.toThrow();
      expect((await security.listDeliveries()).map((d) => d.id)).toEqual(['e1']);
    });

    it('versions reference data and answers as of a version', async () => {
      const v1 = await repo.importReference({
        kind: 'sites',
        source: 'a',
        sha256: 'x',
        entities: [{ entityId: 's', hash: 'h1', data: { id: 's', region: 'GB' } }],
      });
      const v2 = await repo.importReference({
        kind: 'sites',
        source: 'b',
        sha256: 'y',
        entities: [{ entityId: 's', hash: 'h2', data: { id: 's', region: 'FR' } }],
      });
      expect([v1, v2]).toEqual([1, 2]);
      expect(await repo.latestReferenceVersion()).toBe(2);
      expect((await repo.getReference('sites', 1))[0]).toMatchObject({ version: 1, data: { region: 'GB' } });
      expect((await repo.getReference('sites', 2))[0]).toMatchObject({ version: 2, data: { region: 'FR' } });
      expect(await repo.getReferenceEntity('sites', 's', 1)).toMatchObject({ hash: 'h1' });
      expect(await repo.getReferenceEntity('sites', 's', 3)).toBeUndefined();
      expect((await repo.listReferenceVersions()).map((v) => [v.version, v.source, v.rowCount])).toEqual([
        [1, 'a', 1],
        [2, 'b', 1],
      ]);
    });

    it('chains audit records and returns results', async () => {
      const a = await repo.appendResult(result('r1', 10), '{"n":1}', chainHash);
      const b = await repo.appendResult(result('r2', 20), '{"n":2}', chainHash);
      expect(a.prevHash).toBe(GENESIS_HASH);
      expect(b.prevHash).toBe(a.hash);
      expect(b.hash).toBe(chainHash('{"n":2}', a.hash));
      expect(await repo.getResult('r2')).toEqual(result('r2', 20));
      expect((await repo.listResults()).map((r) => r.id)).toEqual(['r1', 'r2']);
      expect((await repo.listAuditRecords()).map((r) => r.resultId)).toEqual(['r1', 'r2']);
      expect(await repo.getAuditRecordForResult('r1')).toMatchObject({ body: '{"n":1}', hash: a.hash });
      expect(await repo.getResult('nope')).toBeUndefined();
    });

    it('keeps the audit chain linear under concurrent appends', async () => {
      await Promise.all([1, 2, 3, 4, 5, 6].map((i) => repo.appendResult(result(`c${i}`, i), `{"n":${i}}`, chainHash)));
      const records = await repo.listAuditRecords();
      records.forEach((r, i) => expect(r.prevHash).toBe(i === 0 ? GENESIS_HASH : records[i - 1]!.hash));
    });

    it('runs the demo factory end to end and verifies its audit records', async () => {
      await importDirectory(repo);
      await repo.ingest({ rollups: decodeRollups(demoRollups()), deadLetters: [] });
      const { doc } = await new PcfService(repo).calculateAndStore('widget', {
        periodStart: '2026-11-02T06:00:00.000Z',
        periodEnd: '2026-11-02T10:00:00.000Z',
        method: 'location',
        gwpSet: 'AR5',
        shareKey: 'units',
        overheadKey: 'mass',
      });
      expect(doc.pcfPerDeclaredUnit).toMatch(/^13\.\d+$/);
      const report = await verifyAudit(repo);
      expect(report.ok).toBe(true);
    });

    it('keeps footprint versions insert-only and refuses any change after Deprecated', async () => {
      await repo.saveFootprintVersions([footprint('a', 1, 'Active', 1), footprint('b', 1, 'Active', 2)]);
      await repo.saveFootprintVersions([footprint('a', 2, 'Active', 3)]);
      expect(await repo.getFootprint('a')).toMatchObject({ version: 2, doc: { version: 2 } });
      expect([
        await repo.getFootprintVersion('a'),
        await repo.getFootprintVersion('b'),
        await repo.getFootprintVersion('zz'),
      ]).toEqual([2, 1, undefined]);
      await repo.saveFootprintVersions([footprint('a', 3, 'Deprecated', 4)]);
      const refused = await repo
        .saveFootprintVersions([footprint('b', 2, 'Active', 5), footprint('a', 4, 'Active', 5)])
        .catch((e: unknown) => e);
      expect(isPcfError(refused, 'ERR_STORE')).toBe(true);
      expect(await repo.getFootprint('b')).toMatchObject({ version: 1 });
      const duplicate = await repo.saveFootprintVersions([footprint('b', 1, 'Active', 6)]).catch((e: unknown) => e);
      expect(isPcfError(duplicate, 'ERR_STORE')).toBe(true);
      expect((await repo.listFootprints()).map((f) => [f.id, f.version, f.status])).toEqual([
        ['a', 3, 'Deprecated'],
        ['b', 1, 'Active'],
      ]);
      expect((await repo.listFootprintVersions()).map((f) => `${f.id}${f.version}`)).toEqual(['a1', 'b1', 'a2', 'a3']);
      expect(await repo.getFootprint("' OR 1=1 --")).toBeUndefined();
    });
  });
}
