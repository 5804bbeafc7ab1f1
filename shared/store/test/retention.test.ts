import { openStore, type GatewayStore } from '@pcf-edge/store';
import { reading, tempDir } from './helpers';

const tmp = tempDir();
let store: GatewayStore;
beforeEach(() => {
  store = openStore(tmp.file());
});
afterEach(() => store.close());
afterAll(() => tmp.cleanup());

const T0 = 1_700_000_000_000;
/** Readings i = 0..n-1 at T0 + i seconds; seq = i + 1. */
function fill(n: number, pad = 0): void {
  const rows = Array.from({ length: n }, (_, i) =>
    reading(i, { readTs: T0 + i * 1000, ...(pad ? { qualityReason: 'x'.repeat(pad) } : {}) }),
  );
  for (let i = 0; i < rows.length; i += 1000) store.insertReadings(rows.slice(i, i + 1000));
}
const seqs = (): number[] => store.readingsAfter(0, 1_000_000).map((r) => r.seq);

describe('retention', () => {
  test('by age: deletes only aggregated readings older than maxAgeMs', () => {
    fill(100);
    const r = store.prune({ maxAgeMs: 50_000, nowTs: T0 + 100_000, aggregatedThroughSeq: 30 });
    expect(r.deletedReadings).toBe(30); // age alone would allow 50, the aggregator has consumed only 30
    expect(seqs()[0]).toBe(31);
    const r2 = store.prune({ maxAgeMs: 50_000, nowTs: T0 + 100_000, aggregatedThroughSeq: 100 });
    expect(r2.deletedReadings).toBe(20); // read_ts < T0 + 50 s
    expect(seqs()[0]).toBe(51);
    expect(store.latestReadingSeq()).toBe(100);
  });

  test('never deletes readings at or after the oldest unsent outbox window', () => {
    fill(100);
    store.enqueueOutbox([{ rollupId: 'sent', revision: 0, windowStartMs: T0 }], T0);
    store.markOutboxSent([1], '1', T0 + 1);
    store.enqueueOutbox(
      [
        { rollupId: 'w20', revision: 0, windowStartMs: T0 + 20_000 },
        { rollupId: 'w60', revision: 0, windowStartMs: T0 + 60_000 },
      ],
      T0,
    );
    const r = store.prune({ maxAgeMs: 0, nowTs: T0 + 1_000_000, aggregatedThroughSeq: 100 });
    expect(r.deletedReadings).toBe(20);
    expect(seqs()[0]).toBe(21);
    store.markOutboxSent([2], '2', T0 + 2);
    expect(store.prune({ maxAgeMs: 0, nowTs: T0 + 1_000_000, aggregatedThroughSeq: 100 }).deletedReadings).toBe(40);
    store.markOutboxSent([3], '3', T0 + 3);
    expect(store.prune({ maxAgeMs: 0, nowTs: T0 + 1_000_000, aggregatedThroughSeq: 100 }).deletedReadings).toBe(40);
    expect(seqs()).toEqual([]);
  });

  test('sent outbox rows older than maxAgeMs are deleted, unsent ones never', () => {
    store.enqueueOutbox(
      [1, 2, 3].map((i) => ({ rollupId: `r${i}`, revision: 0, windowStartMs: 0 })),
      0,
    );
    store.markOutboxSent([1], 'a', 1000);
    store.markOutboxSent([2], 'b', 9000);
    const r = store.prune({ maxAgeMs: 5000, nowTs: 10_000, aggregatedThroughSeq: 0 });
    expect(r).toEqual({ deletedReadings: 0, deletedOutbox: 1 });
    expect(store.db.prepare('SELECT seq FROM outbox ORDER BY seq').pluck().all()).toEqual([2, 3]);
  });

  test('by size: deletes the oldest eligible readings until under the cap, and the file shrinks', () => {
    fill(5000, 400);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const before = store.stats().fileBytes;
    expect(before).toBeGreaterThan(2_000_000);
    const cap = Math.floor(before / 2);
    const r = store.prune({ maxSizeBytes: cap, nowTs: T0, aggregatedThroughSeq: 4000 });
    expect(r.deletedReadings).toBeGreaterThan(1000);
    expect(r.deletedReadings).toBeLessThan(4000);
    const left = seqs();
    expect(left[0]).toBe(r.deletedReadings + 1); // oldest first
    expect(left[left.length - 1]).toBe(5000);
    expect(store.stats().fileBytes).toBeLessThanOrEqual(cap + 100_000);
  });

  test('by size: stops at unaggregated readings even when still over the cap', () => {
    fill(2000, 400);
    const r = store.prune({ maxSizeBytes: 10_000, nowTs: T0, aggregatedThroughSeq: 500 });
    expect(r.deletedReadings).toBe(500);
    expect(seqs()).toHaveLength(1500);
  });

  test('rejects malformed options with a precise message', () => {
    expect(() => store.prune({ nowTs: Number.NaN, aggregatedThroughSeq: 0 })).toThrow(/nowTs/);
    expect(() => store.prune({ nowTs: 0, aggregatedThroughSeq: 1.5 })).toThrow(/aggregatedThroughSeq/);
  });
});
