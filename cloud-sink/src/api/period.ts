import { HttpError } from './errors';

/** A calendar month in UTC as the half-open period [start, end) the API computes and filters over. */
export interface MonthPeriod {
  month: string;
  start: string;
  end: string;
  startMs: number;
  endMs: number;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** `2026-11` → [2026-11-01T00:00:00.000Z, 2026-12-01T00:00:00.000Z); anything else is a 400 naming the form. */
export function monthPeriod(raw: unknown, name = 'month'): MonthPeriod {
  const m = typeof raw === 'string' ? MONTH.exec(raw) : null;
  if (!m)
    throw new HttpError(
      400,
      'BadRequest',
      `${name} must be a calendar month written YYYY-MM (e.g. 2026-11), got ${JSON.stringify(raw)}`,
    );
  const startMs = Date.UTC(Number(m[1]), Number(m[2]) - 1, 1);
  const endMs = Date.UTC(Number(m[1]), Number(m[2]), 1);
  return {
    month: raw as string,
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    startMs,
    endMs,
  };
}

/** The month of a query (`?month=`), or undefined when the query names none. */
export function optionalMonth(q: Record<string, unknown>): MonthPeriod | undefined {
  return q.month === undefined ? undefined : monthPeriod(q.month);
}
