import type { Reading } from '@pcf-edge/core';
import type { StatementCache } from './statements';

interface Series {
  id: number;
  site: string;
  line: string;
  quantity: string;
  kind: string;
  unit: string;
  meterSerial: string | null;
}

const FIND_SQL = `SELECT id FROM reading_series WHERE meter_id = ? AND point = ? AND site = ? AND line = ?
  AND quantity = ? AND kind = ? AND unit = ? AND meter_serial IS ?`;
const INSERT_SQL = `INSERT INTO reading_series (site, line, meter_id, point, quantity, kind, unit, meter_serial)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

/** Whether r belongs to series s, given r's meter and point are s's (the fields a series row holds beside those). */
function sameSeries(s: Series, r: Reading): boolean {
  return (
    s.site === r.site &&
    s.line === r.line &&
    s.quantity === r.quantity &&
    s.kind === r.kind &&
    s.unit === r.unit &&
    s.meterSerial === (r.meterSerial ?? null)
  );
}

/**
 * The reading_series ids of one connection (ADR 0268), cached by meter and point. Series rows are never changed
 * or deleted, so a cached id stays valid; an id this connection created is cached only once its transaction
 * commits (`commit`), and forgotten if it rolls back (`rollback`). Lookups and inserts run inside the caller's
 * IMMEDIATE transaction, so two writers cannot both create the same series.
 */
export class SeriesIds {
  private readonly byMeter = new Map<string, Map<string, Series[]>>();
  /** Series created or found in the database by the transaction under way: [meter, point, series]. */
  private added: [string, string, Series][] = [];

  constructor(private readonly st: StatementCache) {}

  /** The id of r's series, created if new; call inside a write transaction. */
  idOf(r: Reading): number {
    const list = this.byMeter.get(r.meterId)?.get(r.point);
    if (list !== undefined) for (const s of list) if (sameSeries(s, r)) return s.id;
    return this.miss(r);
  }

  private miss(r: Reading): number {
    for (const [meter, point, s] of this.added)
      if (meter === r.meterId && point === r.point && sameSeries(s, r)) return s.id;
    const serial = r.meterSerial ?? null;
    const key = [r.meterId, r.point, r.site, r.line, r.quantity, r.kind, r.unit, serial];
    const found = this.st
      .get(FIND_SQL)
      .pluck()
      .get(...key) as number | undefined;
    const id =
      found ??
      Number(
        this.st.get(INSERT_SQL).run(r.site, r.line, r.meterId, r.point, r.quantity, r.kind, r.unit, serial)
          .lastInsertRowid,
      );
    const series: Series = {
      id,
      site: r.site,
      line: r.line,
      quantity: r.quantity,
      kind: r.kind,
      unit: r.unit,
      meterSerial: serial,
    };
    this.added.push([r.meterId, r.point, series]);
    return id;
  }

  /** The transaction that used `idOf` committed: cache what it created or found. */
  commit(): void {
    for (const [meter, point, series] of this.added) {
      let byPoint = this.byMeter.get(meter);
      if (byPoint === undefined) this.byMeter.set(meter, (byPoint = new Map()));
      let list = byPoint.get(point);
      if (list === undefined) byPoint.set(point, (list = []));
      list.push(series);
    }
    this.added = [];
  }

  /** The transaction rolled back: forget its series (those it created no longer exist). */
  rollback(): void {
    this.added = [];
  }
}
