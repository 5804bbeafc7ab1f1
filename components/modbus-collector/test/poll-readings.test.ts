import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@pcf-edge/store';
import { meterPoints } from '../src/config';
import { PollReadings } from '../src/poll-readings';
import { meter, point } from './support';

const m = meter('m1', 'd1', [
  point('e', 'activeEnergyImport', 'holding', 0, 'uint32', { scale: 0.1 }),
  point('p', 'activePower', 'input', 0, 'float32'),
  point('s', 'machineState', 'holding', 10, 'uint16'),
]);
const [e, p, s] = meterPoints(m);

function sample(): PollReadings {
  const rows = new PollReadings('S1', m);
  rows.push(e!, 1000, { value: 42.5, quality: 'good' });
  rows.push(p!, 1001, { value: -3, quality: 'uncertain', qualityReason: 'out of range [0, inf]' });
  rows.push(s!, 1002, { value: null, quality: 'bad', qualityReason: 'exception 2' });
  rows.push(e!, 1003, { value: 0, quality: 'good' });
  return rows;
}

test('builds the Reading of every row, a reason only where there is one', () => {
  const rows = sample();
  expect(rows.length).toBe(4);
  expect(rows.good).toBe(2);
  const base = { site: 'S1', line: 'L1', meterId: 'm1', sourceTs: null };
  const readings = rows.toReadings();
  expect(readings).toStrictEqual([
    {
      ...base,
      point: 'e',
      quantity: 'activeEnergyImport',
      kind: 'counter',
      unit: 'kWh',
      value: 42.5,
      readTs: 1000,
      quality: 'good',
    },
    {
      ...base,
      point: 'p',
      quantity: 'activePower',
      kind: 'gauge',
      unit: 'kW',
      value: -3,
      readTs: 1001,
      quality: 'uncertain',
      qualityReason: 'out of range [0, inf]',
    },
    {
      ...base,
      point: 's',
      quantity: 'machineState',
      kind: 'gauge',
      unit: 'state',
      value: null,
      readTs: 1002,
      quality: 'bad',
      qualityReason: 'exception 2',
    },
    {
      ...base,
      point: 'e',
      quantity: 'activeEnergyImport',
      kind: 'counter',
      unit: 'kWh',
      value: 0,
      readTs: 1003,
      quality: 'good',
    },
  ]);
});

test('the store writes from the columns exactly the readings toReadings builds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poll-readings-'));
  const store = openStore(join(dir, 'gw.sqlite'));
  try {
    // twice, so that rows filled after a row with a reason get none
    store.insertReadingRows([sample(), sample()]);
    const stored = store.readingsAfter(0, 100).map(({ seq: _seq, ...r }) => r);
    expect(stored).toStrictEqual([...sample().toReadings(), ...sample().toReadings()]);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
