import { ZERO, type Dec } from './decimal';
import { computeSpans, orderTimes, type OrderSpan, type OrderTime } from './orders';
import type { ReferenceSnapshot } from './reference';
import type { AllocationKey } from './options';
import { inPeriod, unitsPool } from './key-units';
import type { Units } from './units';

/** Orders of one site or line that receive overhead, with what `spreadLazily` needs of them. */
export interface Receivers {
  list: readonly OrderSpan[];
  byId: ReadonlyMap<string, OrderSpan>;
  /** Σ keyInPeriod in list order. */
  totalKey: Dec;
  /** Each receiver's key in the period: keyInPeriod, or its mass when key `units` shares unlike units by mass. */
  keyOf: (o: OrderSpan) => Dec;
  /** Set when key `units` cannot share over these orders: the products and units (see `unitsPool`). */
  unlike?: string;
}

/** The orders of one period under one allocation key (sorted by start, then id), and their receiver lists. */
export interface PeriodOrders {
  spans: readonly OrderSpan[];
  onLine(line: string): Receivers;
  onSite(site: string): Receivers;
}

const receivers = (list: readonly OrderSpan[]): Receivers => {
  const pool = unitsPool(list);
  const keyOf = 'by' in pool && pool.by === 'mass' ? (o: OrderSpan) => o.massKeyInPeriod! : inPeriod;
  return {
    list,
    byId: new Map(list.map((o) => [o.id, o])),
    totalKey: list.reduce((s, o) => s.plus(keyOf(o)), ZERO),
    keyOf,
    ...('unlike' in pool ? { unlike: pool.unlike } : {}),
  };
};

function periodOrders(spans: readonly OrderSpan[]): PeriodOrders {
  const lines = new Map<string, Receivers>(),
    sites = new Map<string, Receivers>();
  return {
    spans,
    onLine(line) {
      let r = lines.get(line);
      if (!r) lines.set(line, (r = receivers(spans.filter((o) => o.line === line))));
      return r;
    },
    onSite(site) {
      let r = sites.get(site);
      if (!r) sites.set(site, (r = receivers(spans.filter((o) => o.site === site))));
      return r;
    },
  };
}

/**
 * What a calculation derives from a reference snapshot alone — parsed order times, each period's order spans and
 * receiver lists, the validity bounds of electricity mappings and gas factors — computed on first use and kept for
 * the snapshot's lifetime. Snapshots are immutable (a reference version never changes), so nothing here goes stale;
 * whoever keeps a snapshot keeps its index beside it (the cloud-sink `PcfService`), and a calculation given none
 * builds its own. At most `maxPeriods` periods are kept, oldest dropped first.
 */
export class ReferenceIndex {
  private times: readonly OrderTime[] | undefined;
  private bounds: readonly number[] | undefined;
  private readonly periods = new Map<string, PeriodOrders>();

  constructor(
    readonly snapshot: ReferenceSnapshot,
    private readonly maxPeriods = 64,
  ) {}

  /** Every order with its start and end parsed (epoch ms). */
  orderTimes(): readonly OrderTime[] {
    return (this.times ??= orderTimes(this.snapshot));
  }

  /** The orders overlapping [fromMs, toMs), clipped, with the key rate for `key` in `units` (see `computeSpans`). */
  periodOrders(fromMs: number, toMs: number, key: AllocationKey, units: Units): PeriodOrders {
    const k = `${fromMs}|${toMs}|${key}|${units.name}`;
    let p = this.periods.get(k);
    if (!p) {
      p = periodOrders(computeSpans(this.snapshot, this.orderTimes(), fromMs, toMs, key, units));
      this.periods.set(k, p);
      if (this.periods.size > this.maxPeriods) this.periods.delete(this.periods.keys().next().value!);
    }
    return p;
  }

  /** Validity bounds of every electricity mapping and natural-gas factor (epoch ms; open ends left out). */
  factorBounds(): readonly number[] {
    if (!this.bounds) {
      const out: number[] = [];
      for (const m of this.snapshot.electricity.values())
        out.push(Date.parse(m.data.validFrom), Date.parse(m.data.validTo ?? ''));
      for (const f of this.snapshot.factors.values())
        if (f.data.activity === 'natural-gas') out.push(Date.parse(f.data.validFrom), Date.parse(f.data.validTo ?? ''));
      this.bounds = out.filter(Number.isFinite);
    }
    return this.bounds;
  }
}
