import { setTimeout as sleep } from 'node:timers/promises';
import { createModbusCollector } from '../src/collector';
import {
  config,
  device,
  log,
  meter,
  point,
  refusedPort,
  startRawServer,
  startTestDevice,
  type TestDevice,
} from './support';

const INTERVAL = 200;
const RUN_MS = 3000;

/**
 * One of ten devices is dead; the other nine must keep their poll rate within 10% of the configured rate.
 * Counted over a few seconds; the bound is relative to the configured rate, so machine load can only make it
 * fail if the event loop stalls for longer than a tenth of the run.
 */
describe.each(['accepts and never answers', 'refuses connections'])('one dead device of ten (%s)', (mode) => {
  const healthy: TestDevice[] = [];
  let closeDead: () => Promise<void> = async () => undefined;
  let deadPort = 0;

  beforeAll(async () => {
    for (let i = 0; i < 9; i++) healthy.push(await startTestDevice());
    if (mode === 'refuses connections') {
      deadPort = await refusedPort();
    } else {
      const raw = await startRawServer(() => undefined);
      deadPort = raw.port;
      closeDead = raw.close;
    }
  });
  afterAll(async () => {
    for (const d of healthy) await d.close();
    await closeDead();
  });

  it('does not slow the other nine', async () => {
    const pts = [
      point('e', 'activeEnergyImport', 'holding', 0, 'uint32'),
      point('p', 'activePower', 'holding', 10, 'float32'),
    ];
    const devices = [
      device('dead', deadPort, { timeoutMs: 1000, connectTimeoutMs: 1000 }),
      ...healthy.map((d, i) => device(`d${i}`, d.port, { timeoutMs: 1000 })),
    ];
    const meters = devices.map((d) => meter(`m-${d.id}`, d.id, pts, { pollIntervalMs: INTERVAL }));
    const bad: string[] = [];
    const c = createModbusCollector(config(devices, meters), {
      log,
      onReading: (r) => r.quality !== 'good' && bad.push(r.meterId),
    });
    const t0 = Date.now();
    c.start();
    await sleep(RUN_MS);
    const elapsed = Date.now() - t0;
    const counts = Object.fromEntries(c.pollers().map((p) => [p.meter.id, { polls: p.polls, overruns: p.overruns }]));
    await c.stop();
    const expected = elapsed / INTERVAL;
    // Polls started = ticks minus overruns, so this bounds both.
    for (let i = 0; i < 9; i++) expect(counts[`m-d${i}`]?.polls).toBeGreaterThanOrEqual(Math.floor(0.9 * expected));
    expect(new Set(bad)).toEqual(new Set(['m-dead']));
  }, 20000);
});
