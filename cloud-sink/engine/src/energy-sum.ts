import { fromMicro } from './energy';
import type { Dec } from './decimal';

/** An amount of energy (or volume) on its way to a bucket: whole windows in micro-units, a pro-rated part in kWh (m³). */
export type Energy = bigint | Dec;

/** The amount as a Dec of kWh (m³). */
export const asDec = (e: Energy): Dec => (typeof e === 'bigint' ? fromMicro(e) : e);

/**
 * A bucket's sum: the exact integer sum of the whole windows (micro-units, associative: one window or a SQL sum of
 * many alike), plus the left-to-right chain of the pro-rated parts (40-digit Decs, in window order), added once at
 * the end. (For rollups with at most 6 decimals this equals arithmetic 2 of ADR 0145.)
 */
export class EnergySum {
  private whole = 0n;
  private parts: Dec | undefined;

  add(e: Energy): void {
    if (typeof e === 'bigint') this.whole += e;
    else this.parts = this.parts === undefined ? e.plus(0) : this.parts.plus(e);
  }

  value(): Dec {
    const whole = fromMicro(this.whole);
    return this.parts === undefined ? whole : whole.plus(this.parts);
  }
}

/**
 * Sums per bucket key. Keys are read out in one canonical order — electricity before gas, then by the start of the
 * mapping's or factor's validity (`rank`), then by key — so the order never depends on how windows were grouped.
 */
export class BucketSums {
  private readonly sums = new Map<string, EnergySum>();

  add(key: string, e: Energy): void {
    let s = this.sums.get(key);
    if (!s) this.sums.set(key, (s = new EnergySum()));
    s.add(e);
  }

  values(rank: (key: string) => number): Map<string, Dec> {
    const keys = [...this.sums.keys()].sort(
      (a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0) || rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0),
    );
    return new Map(keys.map((k) => [k, this.sums.get(k)!.value()]));
  }
}
