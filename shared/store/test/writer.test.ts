import { isPcfError } from '@pcf-edge/core';
import { ReadingArrayRows, openStore, type GatewayStore, type ReadingRows } from '@pcf-edge/store';
import { reading, tempDir } from './helpers';

const tmp = tempDir();
let store: GatewayStore;
beforeEach(() => {
  store = openStore(tmp.file());
});
afterEach(() => store.close());
afterAll(() => tmp.cleanup());

const count = (): number => store.readingsAfter(0, 1_000_000).length;

function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > timeoutMs) reject(new Error('condition not met in time'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('ReadingWriter', () => {
  test('flushes when maxBatch readings are buffered, in one transaction, in order', () => {
    const w = store.createReadingWriter({ maxBatch: 3, maxDelayMs: 60_000 });
    w.write(reading(1));
    w.write(reading(2));
    expect(count()).toBe(0);
    expect(w.pending).toBe(2);
    w.write(reading(3));
    expect(count()).toBe(3);
    expect(w.pending).toBe(0);
    w.write(reading(4));
    expect(count()).toBe(3);
    w.close();
    expect(store.readingsAfter(0, 10).map((r) => r.readTs)).toEqual([1, 2, 3, 4].map((i) => reading(i).readTs));
  });

  test('flushes after maxDelayMs without reaching maxBatch', async () => {
    const w = store.createReadingWriter({ maxBatch: 1000, maxDelayMs: 50 });
    w.write(reading(1));
    w.write(reading(2));
    expect(count()).toBe(0);
    await waitFor(() => count() === 2);
    expect(w.pending).toBe(0);
    w.close();
  });

  test('close flushes the rest; writes after close are refused', () => {
    const w = store.createReadingWriter({ maxBatch: 100, maxDelayMs: 60_000 });
    for (let i = 0; i < 5; i++) w.write(reading(i));
    w.close();
    expect(count()).toBe(5);
    expect(() => w.write(reading(9))).toThrow(/closed/);
  });

  test('a failed flush keeps the readings and retries them; a full buffer refuses new readings', async () => {
    const errors: unknown[] = [];
    const w = store.createReadingWriter({
      maxBatch: 2,
      maxDelayMs: 20,
      maxBufferedReadings: 4,
      onError: (e) => errors.push(e),
    });
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    const fat = (i: number) => reading(i, { qualityReason: 'x'.repeat(3000) });
    w.write(fat(1));
    w.write(fat(2)); // batch flush fails: disk "full"
    expect(errors.length).toBeGreaterThan(0);
    expect(isPcfError(errors[0], 'ERR_STORE_FULL')).toBe(true);
    expect(w.pending).toBe(2);
    w.write(fat(3));
    w.write(fat(4));
    expect(w.pending).toBe(4);
    let refused: unknown;
    try {
      w.write(fat(5));
    } catch (err) {
      refused = err;
    }
    expect(isPcfError(refused, 'ERR_STORE_FULL')).toBe(true);
    store.db.pragma('max_page_count = 1073741823');
    await waitFor(() => w.pending === 0);
    expect(store.readingsAfter(0, 10).map((r) => r.readTs)).toEqual([1, 2, 3, 4].map((i) => fat(i).readTs));
    w.close();
  });

  test('blocks of rows and single readings go in in the order written; a block counts as its rows', () => {
    const w = store.createReadingWriter({ maxBatch: 6, maxDelayMs: 60_000 });
    w.write(reading(1));
    w.writeRows(new ReadingArrayRows([reading(2), reading(3)]));
    w.write(reading(4));
    expect(w.pending).toBe(4);
    expect(count()).toBe(0);
    w.writeRows(new ReadingArrayRows([]));
    expect(w.pending).toBe(4);
    w.writeRows(new ReadingArrayRows([reading(5), reading(6), reading(7)])); // 7 >= maxBatch: one flush of all
    expect(w.pending).toBe(0);
    expect(store.readingsAfter(0, 10).map((r) => r.readTs)).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((i) => reading(i).readTs),
    );
    w.close();
    expect(() => w.writeRows(new ReadingArrayRows([reading(8)]))).toThrow(/closed/);
  });

  test('the store fills its multi-row INSERTs across blocks of any layout, row for row', () => {
    // 100 rows in blocks of 1, 31, 33 and 35: INSERTs of 32 rows straddle the blocks, 4 rows go one by one
    const all = Array.from({ length: 100 }, (_, i) =>
      reading(i, i % 9 === 0 ? { value: null, quality: 'bad', qualityReason: `r${i}` } : {}),
    );
    const columns = (from: number, to: number): ReadingRows => ({
      length: to - from,
      readingAt: (i) => all[from + i]!,
    });
    store.insertReadingRows([columns(0, 1), columns(1, 32), columns(32, 65), columns(65, 100)]);
    const stored = store.readingsAfter(0, 1000);
    expect(stored.map(({ seq: _seq, ...r }) => r)).toEqual(all);
    expect(stored.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));
  });

  test('rejects a nonsensical batch size', () => {
    expect(() => store.createReadingWriter({ maxBatch: 0 })).toThrow(/maxBatch/);
  });
});
