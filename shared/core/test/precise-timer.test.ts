import { preciseTimeout } from '@pcf-edge/core';

const after = (ms: number) =>
  new Promise<number>((resolve) => {
    const start = performance.now();
    preciseTimeout(() => resolve(performance.now() - start), ms);
  });

describe('preciseTimeout', () => {
  it('never runs before its fractional delay is over', async () => {
    for (const ms of [0.3, 1.75, 2.2, 4.01]) {
      for (let i = 0; i < 20; i++) expect(await after(ms)).toBeGreaterThanOrEqual(ms);
    }
  });

  it('runs at once for a delay of 0 or less, and not at all once cancelled', async () => {
    let ran = 0;
    preciseTimeout(() => ran++, 0);
    preciseTimeout(() => ran++, -5);
    expect(ran).toBe(2);
    const t = preciseTimeout(() => ran++, 1.5);
    t.cancel();
    await after(5);
    expect(ran).toBe(2);
    t.cancel();
  });
});
