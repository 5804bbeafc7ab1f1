import { rmSync, writeFileSync } from 'node:fs';
import { isPcfError } from '@pcf-edge/core';
import { openStore, STORE_FULL_FLAG_ENV } from '../src';
import { reading, tempDir } from './helpers';

/** The soak's disk-full injection: a flag file named by env makes every write needing a new page fail. */
describe('size cap flag (PCF_EDGE_STORE_FULL_FLAG)', () => {
  const tmp = tempDir('pcf-store-cap-');
  const flag = tmp.file('full.flag');
  afterAll(() => {
    delete process.env[STORE_FULL_FLAG_ENV];
    tmp.cleanup();
  });

  test('while the flag file exists writes that grow the file fail with ERR_STORE_FULL; afterwards they succeed', async () => {
    process.env[STORE_FULL_FLAG_ENV] = flag;
    const store = openStore(tmp.file());
    const fat = (i: number) => reading(i, { qualityReason: 'x'.repeat(3000) });
    store.insertReadings([fat(0)]);
    writeFileSync(flag, '');
    await new Promise((r) => setTimeout(r, 150)); // the flag is checked at most every 100 ms
    let error: unknown;
    try {
      for (let i = 1; i < 50; i++) store.insertReadings([fat(i)]);
    } catch (err) {
      error = err;
    }
    expect(isPcfError(error, 'ERR_STORE_FULL')).toBe(true);
    const kept = store.readingsAfter(0, 100).length;
    rmSync(flag);
    await new Promise((r) => setTimeout(r, 150)); // the flag is checked at most every 100 ms
    store.insertReadings([fat(99)]);
    expect(store.readingsAfter(0, 100).length).toBe(kept + 1);
    store.close();
  });

  test('without the variable a flag file changes nothing', () => {
    delete process.env[STORE_FULL_FLAG_ENV];
    writeFileSync(flag, '');
    const store = openStore(tmp.file());
    for (let i = 0; i < 50; i++) store.insertReadings([reading(i, { qualityReason: 'x'.repeat(3000) })]);
    expect(store.readingsAfter(0, 100).length).toBe(50);
    store.close();
  });
});
