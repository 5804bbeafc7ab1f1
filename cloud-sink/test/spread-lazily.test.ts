import fc from 'fast-check';
import { spread, spreadLazily, type Buckets } from '@pcf-edge/pcf-engine';
import { dec, ZERO } from '@pcf-edge/pcf-engine';
import type { OrderSpan } from '@pcf-edge/pcf-engine';

/** `spreadLazily` gives every receiver exactly what `spread` gives it, the last one's remainder included. */
describe('spreadLazily', () => {
  const receiver = (id: string, key: number): OrderSpan => ({
    id,
    version: 1,
    line: 'l',
    site: 's',
    product: 'p',
    startMs: 0,
    endMs: 1,
    fullDurationMs: 1,
    goodInPeriod: ZERO,
    scrapInPeriod: ZERO,
    keyRate: dec(key),
    keyInPeriod: dec(key).div(7),
  });
  const pools = fc
    .array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 3 })
    .map((vs): Buckets => new Map(vs.map((v, i) => [`k${i}`, dec(v).div(3)])));
  const keys = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 0, maxLength: 12 });

  it('equals spread for every receiver, digit for digit', () => {
    let remainderDiffers = 0;
    fc.assert(
      fc.property(pools, keys, (pool, ks) => {
        const receivers = Object.freeze(ks.map((k, i) => receiver(`o${i}`, k)));
        const eager = spread(pool, receivers);
        const lazy = spreadLazily(pool, {
          list: receivers,
          byId: new Map(receivers.map((o) => [o.id, o])),
          totalKey: receivers.reduce((s, o) => s.plus(o.keyInPeriod), ZERO),
          keyOf: (o) => o.keyInPeriod,
        });
        expect(lazy.spreads).toBe(eager !== undefined);
        expect(lazy.shareOf('not-a-receiver')).toBeUndefined();
        for (const o of receivers) {
          const got = lazy.shareOf(o.id);
          expect(got && [...got].map(([k, v]) => `${k}=${v}`)).toEqual(
            eager && [...eager.get(o.id)!].map(([k, v]) => `${k}=${v}`),
          );
        }
        const last = receivers[receivers.length - 1];
        if (eager && last) {
          const total = receivers.reduce((s, o) => s.plus(o.keyInPeriod), ZERO);
          const formula = [...pool].map(([, v]) => v.times(last.keyInPeriod).div(total).toString());
          if (formula.join() !== [...eager.get(last.id)!.values()].map(String).join()) remainderDiffers++;
        }
      }),
      { numRuns: 400 },
    );
    // the remainder is not the plain share: the test would see a lazy spread that forgot it
    expect(remainderDiffers).toBeGreaterThan(0);
  });
});
