import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { isPcfError, PcfError, type LineRollup } from '@pcf-edge/core';
import { openStore, SCHEMA_VERSION, type GatewayStore, type MeterHealth } from '@pcf-edge/store';
import { counterRollup, reading, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function expectPcfError(fn: () => unknown, code: string, message?: RegExp): PcfError {
  try {
    fn();
  } catch (err) {
    expect(isPcfError(err)).toBe(true);
    const e = err as PcfError;
    expect(e.code).toBe(code);
    if (message) expect(e.message).toMatch(message);
    return e;
  }
  throw new Error('expected a PcfError');
}

describe('gateway store', () => {
  let store: GatewayStore;
  beforeEach(() => {
    store = openStore(tmp.file());
  });
  afterEach(() => store.close());

  test('connection settings: WAL, incremental auto-vacuum, synchronous NORMAL, busy timeout, schema version', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(10000);
    expect(store.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: SCHEMA_VERSION });
  });

  test('readings round-trip with seq cursor, nulls and optional fields', () => {
    expect(store.latestReadingSeq()).toBe(0);
    const bad = reading(2, { value: null, quality: 'bad', qualityReason: 'modbus exception 2' });
    const serial = reading(3, {
      meterSerial: 'SN-42',
      sourceTs: 1_700_000_000_500,
      quantity: 'voltage',
      kind: 'gauge',
      unit: 'V',
    });
    store.insertReadings([reading(1), bad, serial]);
    store.insertReadings([]);
    const got = store.readingsAfter(0, 10);
    expect(got.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(got[0]).toEqual({ seq: 1, ...reading(1) });
    expect(got[1]).toEqual({ seq: 2, ...bad });
    expect(got[2]).toEqual({ seq: 3, ...serial });
    expect(store.readingsAfter(1, 1).map((r) => r.seq)).toEqual([2]);
    expect(store.readingsAfter(3, 10)).toEqual([]);
    expect(store.latestReadingSeq()).toBe(3);
  });

  test('a batch longer than one multi-row INSERT keeps every row, its fields and its order', () => {
    const batch = Array.from({ length: 70 }, (_, i) =>
      i % 9 === 4
        ? reading(i, { value: i % 2 ? null : Number.NaN, quality: 'bad', qualityReason: `r${i}` })
        : reading(i, i % 5 === 0 ? { meterSerial: `SN-${i}`, sourceTs: i } : {}),
    );
    store.insertReadings(batch);
    const got = store.readingsAfter(0, 100);
    expect(got.map((r) => r.seq)).toEqual(batch.map((_, i) => i + 1));
    expect(got).toEqual(batch.map((r, i) => ({ seq: i + 1, ...r, value: Number.isNaN(r.value) ? null : r.value })));
    expectPcfError(
      () => store.insertReadings([...batch, reading(71, { quality: 'great' as never })]),
      'ERR_STORE',
      /CHECK constraint/,
    );
    expect(store.latestReadingSeq()).toBe(70); // the failed batch, full INSERTs included, left nothing behind
  });

  test('NaN values are stored as null', () => {
    store.insertReadings([reading(1, { value: Number.NaN, quality: 'bad', qualityReason: 'NaN' })]);
    expect(store.readingsAfter(0, 1)[0]?.value).toBeNull();
  });

  test('readings are append-only and bad readings are rejected with ERR_STORE naming the constraint', () => {
    store.insertReadings([reading(1)]);
    expectPcfError(
      () => store.transaction(() => store.db.prepare('UPDATE readings SET value = 0').run()),
      'ERR_STORE',
      /append-only/,
    );
    expectPcfError(
      () => store.insertReadings([reading(2), reading(3, { quality: 'great' as never })]),
      'ERR_STORE',
      /CHECK constraint/,
    );
    expect(store.readingsAfter(0, 10)).toHaveLength(1); // the failed batch left nothing behind
  });

  test('meter health upsert and list', () => {
    const h: MeterHealth = {
      meterId: 'm1',
      site: 'plant-1',
      line: 'line-a',
      collector: 'modbus',
      state: 'ok',
      lastGoodTs: 10,
      lastReadTs: 10,
      consecutiveFailures: 0,
      lastError: null,
      updatedTs: 10,
    };
    store.upsertMeterHealth([h, { ...h, meterId: 'm0', state: 'unknown', lastGoodTs: null, lastReadTs: null }]);
    store.upsertMeterHealth([{ ...h, state: 'failing', consecutiveFailures: 3, lastError: 'timeout', updatedTs: 20 }]);
    expect(store.listMeterHealth()).toEqual([
      { ...h, meterId: 'm0', state: 'unknown', lastGoodTs: null, lastReadTs: null },
      { ...h, state: 'failing', consecutiveFailures: 3, lastError: 'timeout', updatedTs: 20 },
    ]);
  });

  test('owner-scoped state', () => {
    expect(store.getState('aggregator', 'cursor')).toBeUndefined();
    store.setState('aggregator', 'cursor', '5');
    store.setState('exporter', 'cursor', 'x');
    store.setState('aggregator', 'cursor', '7');
    expect(store.getState('aggregator', 'cursor')).toBe('7');
    expect(store.getState('exporter', 'cursor')).toBe('x');
  });

  test('counter anchors and events', () => {
    store.putAnchors([
      { meterId: 'm1', point: 'energy', value: 10.5, ts: 100, meterSerial: 'SN1', state: { quarantine: null } },
    ]);
    store.putAnchors([
      { meterId: 'm1', point: 'energy', value: 11, ts: 200, meterSerial: 'SN1', state: { n: 2 } },
      { meterId: 'm0', point: 'gas', value: 3, ts: 150, meterSerial: null, state: null },
    ]);
    expect(store.getAnchors()).toEqual([
      { meterId: 'm0', point: 'gas', value: 3, ts: 150, meterSerial: null, state: null },
      { meterId: 'm1', point: 'energy', value: 11, ts: 200, meterSerial: 'SN1', state: { n: 2 } },
    ]);
    const ev = { site: 'plant-1', line: 'line-a', meterId: 'm1', point: 'energy' };
    store.addCounterEvents([
      { ...ev, ts: 100, kind: 'rollover', detail: { modulus: 65536 } },
      { ...ev, ts: 300, kind: 'reset', detail: {} },
    ]);
    const since = store.listCounterEvents(200);
    expect(since).toEqual([{ ...ev, id: 2, ts: 300, kind: 'reset', detail: {} }]);
    expect(store.listCounterEvents(0).map((e) => e.kind)).toEqual(['rollover', 'reset']);
  });

  test('rollups: upsert by id, higher revision wins, lower is ignored, filters', () => {
    const a0 = counterRollup(60_000);
    const b0 = counterRollup(120_000);
    const line: LineRollup = {
      id: 'line-1',
      revision: 0,
      type: 'line',
      site: 'plant-1',
      windowStart: new Date(60_000).toISOString(),
      windowMs: 60_000,
      coverage: 1,
      estimated: false,
      flags: [],
      line: 'line-b',
      electricityKWh: 2,
      gasM3: 0,
      gasKWh: 0,
      gasCvBasis: null,
      unitsGood: 4,
      unitsScrap: 0,
      kWhPerUnit: 0.5,
      meters: ['m1'],
    };
    store.putRollups([a0, b0, line], 1000);
    store.putRollups([counterRollup(60_000, 1)], 2000);
    store.putRollups([counterRollup(60_000, 0, { delta: 99 })], 3000);
    expect(store.getRollup(a0.id)).toEqual({
      rollup: counterRollup(60_000, 1),
      windowStartMs: 60_000,
      updatedTs: 2000,
    });
    expect(store.getRollup('nope')).toBeUndefined();
    const many = store.getRollups([a0.id, b0.id, 'nope']);
    expect([...many.keys()].sort()).toEqual([a0.id, b0.id].sort());
    expect(store.listRollups({}).map((r) => r.rollup.id)).toEqual([...[a0.id, line.id].sort(), b0.id]); // by window, then id
    expect(store.listRollups({ type: 'line' }).map((r) => r.rollup)).toEqual([line]);
    expect(store.listRollups({ line: 'line-a', fromMs: 100_000 }).map((r) => r.rollup.id)).toEqual([b0.id]);
    expect(store.listRollups({ meterId: 'm1', windowMs: 60_000, toMs: 120_000 }).map((r) => r.rollup.id)).toEqual([
      a0.id,
    ]);
    expect(store.listRollups({ windowMs: 900_000 })).toEqual([]);
    expectPcfError(
      () => store.putRollups([counterRollup(0, 0, { windowStart: 'yesterday' })], 1),
      'ERR_STORE',
      /windowStart/,
    );
  });

  test('outbox: enqueue, pending order and paging, mark sent, stats', () => {
    store.enqueueOutbox(
      [
        { rollupId: 'a', revision: 0, windowStartMs: 60_000 },
        { rollupId: 'b', revision: 0, windowStartMs: 120_000 },
        { rollupId: 'a', revision: 1, windowStartMs: 60_000 },
      ],
      5000,
    );
    expect(store.outboxStats(6000)).toEqual({ depth: 3, oldestUnsentTs: 5000, oldestUnsentAgeMs: 1000 });
    expect(store.pendingOutbox(10).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(store.pendingOutbox(2, { newestFirst: true }).map((r) => r.seq)).toEqual([3, 2]);
    expect(store.pendingOutbox(10, { afterSeq: 1 }).map((r) => r.seq)).toEqual([2, 3]);
    expect(store.pendingOutbox(10, { newestFirst: true, beforeSeq: 3 }).map((r) => r.seq)).toEqual([2, 1]);
    expect(store.pendingOutbox(1)[0]).toEqual({
      seq: 1,
      rollupId: 'a',
      revision: 0,
      windowStartMs: 60_000,
      enqueuedTs: 5000,
      sentTs: null,
      sequenceNumber: null,
    });
    store.markOutboxSent([1, 3], '9007199254740993', 7000);
    store.markOutboxSent([1], '1', 8000); // already sent: keeps its first acknowledgement
    expect(store.pendingOutbox(10).map((r) => r.rollupId)).toEqual(['b']);
    const sent = store.db
      .prepare('SELECT seq, sent_ts, sequence_number FROM outbox WHERE sent_ts IS NOT NULL ORDER BY seq')
      .all();
    expect(sent).toEqual([
      { seq: 1, sent_ts: 7000, sequence_number: '9007199254740993' },
      { seq: 3, sent_ts: 7000, sequence_number: '9007199254740993' },
    ]);
    expect(store.outboxStats(9000)).toEqual({ depth: 1, oldestUnsentTs: 5000, oldestUnsentAgeMs: 4000 });
  });

  test('outbox with bodies: stored rollup JSON text per row, null for a vanished rollup; many marks in runs', () => {
    const a = counterRollup(0, 5);
    store.putRollups([a], 1000);
    store.enqueueOutbox(
      [
        { rollupId: a.id, revision: 0, windowStartMs: 0 },
        { rollupId: 'gone', revision: 0, windowStartMs: 0 },
        ...[3, 4, 5, 6].map(() => ({ rollupId: a.id, revision: 0, windowStartMs: 0 })),
      ],
      5000,
    );
    const rows = store.pendingOutboxBodies(10);
    expect(rows.map((r) => [r.seq, r.rollupId, r.revision])).toEqual([
      [1, a.id, a.revision],
      [2, 'gone', null],
      [3, a.id, a.revision],
      [4, a.id, a.revision],
      [5, a.id, a.revision],
      [6, a.id, a.revision],
    ]);
    expect(JSON.parse(rows[0]!.body!)).toEqual(a);
    expect(rows[1]!.body).toBeNull();
    expect(store.pendingOutboxBodies(2, { newestFirst: true, beforeSeq: 6 }).map((r) => r.seq)).toEqual([5, 4]);
    // two messages: seqs 6,3,4 (runs 3-4 and 6) and 1; seq 2 stays unsent; a repeat keeps the first acknowledgement
    store.markOutboxSentMany(
      [
        { seqs: [6, 3, 4], sequenceNumber: '10' },
        { seqs: [1], sequenceNumber: '11' },
      ],
      7000,
    );
    store.markOutboxSentMany([{ seqs: [1, 2], sequenceNumber: '12' }], 8000);
    const sent = store.db
      .prepare('SELECT seq, sent_ts, sequence_number FROM outbox WHERE sent_ts IS NOT NULL ORDER BY seq')
      .all();
    expect(sent).toEqual([
      { seq: 1, sent_ts: 7000, sequence_number: '11' },
      { seq: 2, sent_ts: 8000, sequence_number: '12' },
      { seq: 3, sent_ts: 7000, sequence_number: '10' },
      { seq: 4, sent_ts: 7000, sequence_number: '10' },
      { seq: 6, sent_ts: 7000, sequence_number: '10' },
    ]);
    expect(store.pendingOutboxBodies(10).map((r) => r.seq)).toEqual([5]);
  });

  test('transaction commits together and rolls back together', () => {
    store.transaction(() => {
      store.setState('aggregator', 'cursor', '1');
      store.enqueueOutbox([{ rollupId: 'a', revision: 0, windowStartMs: 0 }], 1);
    });
    expect(() =>
      store.transaction(() => {
        store.setState('aggregator', 'cursor', '2');
        throw new Error('crash between cursor and outbox');
      }),
    ).toThrow(/crash/);
    expect(store.getState('aggregator', 'cursor')).toBe('1');
    expect(store.outboxStats(1).depth).toBe(1);
  });

  test('stats counts rows and file bytes', () => {
    store.insertReadings([reading(1), reading(2)]);
    store.putRollups([counterRollup(0)], 1);
    store.enqueueOutbox([{ rollupId: 'x', revision: 0, windowStartMs: 0 }], 1);
    const s = store.stats();
    expect(s).toMatchObject({ readings: 2, rollups: 1, outboxDepth: 1 });
    expect(s.fileBytes).toBeGreaterThan(4096);
  });

  test('a full database surfaces as ERR_STORE_FULL with the SQLite error as cause', () => {
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages + 2}`);
    const big = Array.from({ length: 2000 }, (_, i) => reading(i, { qualityReason: 'x'.repeat(200) }));
    const e = expectPcfError(() => store.insertReadings(big), 'ERR_STORE_FULL');
    expect((e.cause as { code?: string }).code).toBe('SQLITE_FULL');
    expect(e.details).toMatchObject({ op: 'insertReadings', sqliteCode: 'SQLITE_FULL' });
  });
});

describe('read-only opens', () => {
  test('a read-only store reads but rejects every write', () => {
    const path = tmp.file();
    const rw = openStore(path);
    rw.insertReadings([reading(1)]);
    rw.setState('aggregator', 'cursor', '1');
    const ro = openStore(path, { readonly: true });
    try {
      expect(ro.readingsAfter(0, 10)).toHaveLength(1);
      expect(ro.getState('aggregator', 'cursor')).toBe('1');
      expectPcfError(() => ro.insertReadings([reading(2)]), 'ERR_STORE', /read-only/);
      expectPcfError(() => ro.setState('cli', 'k', 'v'), 'ERR_STORE', /read-only/);
      expectPcfError(() => ro.createReadingWriter(), 'ERR_STORE', /read-only/);
      expectPcfError(() => ro.prune({ nowTs: 0, aggregatedThroughSeq: 1, maxAgeMs: 0 }), 'ERR_STORE', /read-only/);
      // even the raw connection cannot write
      expect(() => ro.db.prepare("INSERT INTO state VALUES ('a', 'b', 'c')").run()).toThrow(/readonly/);
    } finally {
      ro.close();
      rw.close();
    }
  });

  test('a read-only open of a missing file names it', () => {
    const path = tmp.file('missing.db');
    expectPcfError(() => openStore(path, { readonly: true }), 'ERR_STORE', /does not exist/);
  });

  test('a read-only open of a file that was never migrated says so', () => {
    const path = tmp.file();
    const raw = new Database(path);
    raw.exec('CREATE TABLE other (x)');
    raw.close();
    expectPcfError(() => openStore(path, { readonly: true }), 'ERR_STORE', /has not been migrated \(schema version 0/);
    writeFileSync(tmp.file('empty.db'), '');
    expectPcfError(() => openStore(tmp.file('empty.db'), { readonly: true }), 'ERR_STORE', /has not been migrated/);
  });

  test('a file from newer software is refused', () => {
    const path = tmp.file();
    openStore(path).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
    raw.close();
    expectPcfError(() => openStore(path), 'ERR_STORE', /newer than this software/);
  });
});
