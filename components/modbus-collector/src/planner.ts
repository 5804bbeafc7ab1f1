import { registerCount } from '@pcf-edge/profiles';
import type { ResolvedPoint, Table } from './config';

/** Modbus read function code per table (FC1 coils, FC2 discrete inputs, FC3 holding, FC4 input registers). */
export const FUNCTION_CODE: Record<Table, 1 | 2 | 3 | 4> = { coil: 1, discrete: 2, holding: 3, input: 4 };

export interface PlannedPoint {
  point: ResolvedPoint;
  /** Offset of the point's first register (or bit) within the request. */
  offset: number;
  /** Registers (or bits) the point occupies. */
  length: number;
}

/** One read request: `count` registers (or bits) from 0-based `address`. */
export interface ReadRequest {
  unitId: number;
  table: Table;
  functionCode: 1 | 2 | 3 | 4;
  address: number;
  count: number;
  points: PlannedPoint[];
}

export interface PlanLimits {
  maxRegistersPerRead: number;
  maxGapRegisters: number;
}

/** An unmapped address range that made a device answer exception 2; coalesced reads no longer bridge it. */
export interface Hole {
  unitId: number;
  table: Table;
  from: number;
  to: number;
}

export function pointLength(point: ResolvedPoint): number {
  return point.table === 'coil' || point.table === 'discrete' ? 1 : registerCount(point.type);
}

function makeRequest(unitId: number, table: Table, points: { point: ResolvedPoint; length: number }[]): ReadRequest {
  const first = points[0];
  if (!first) throw new Error('a read request needs at least one point');
  const address = first.point.address;
  let end = address;
  const planned = points.map(({ point, length }) => {
    end = Math.max(end, point.address + length);
    return { point, length, offset: point.address - address };
  });
  return { unitId, table, functionCode: FUNCTION_CODE[table], address, count: end - address, points: planned };
}

/**
 * Coalesces the points of one unit id into as few reads as the limits allow: per table, in address order, a point
 * joins the current read when the gap before it is at most `maxGapRegisters` and the read stays within
 * `maxRegistersPerRead`. A point wider than the limit gets a read of its own. Reads never bridge a known hole.
 */
export function planRequests(
  unitId: number,
  points: readonly ResolvedPoint[],
  limits: PlanLimits,
  holes: readonly Hole[] = [],
): ReadRequest[] {
  const byTable = new Map<Table, { point: ResolvedPoint; length: number }[]>();
  for (const point of points) {
    const list = byTable.get(point.table) ?? [];
    list.push({ point, length: pointLength(point) });
    byTable.set(point.table, list);
  }
  const requests: ReadRequest[] = [];
  for (const table of ['coil', 'discrete', 'holding', 'input'] as const) {
    const list = (byTable.get(table) ?? []).sort((a, b) => a.point.address - b.point.address);
    const tableHoles = holes.filter((h) => h.unitId === unitId && h.table === table);
    let current: typeof list = [];
    let start = 0;
    let end = 0; // exclusive
    for (const item of list) {
      const from = item.point.address;
      const to = from + item.length;
      const bridgesHole = tableHoles.some((h) => h.from >= end && h.to < from);
      const fits =
        current.length > 0 &&
        from - end <= limits.maxGapRegisters &&
        Math.max(end, to) - start <= limits.maxRegistersPerRead &&
        !bridgesHole;
      if (fits) {
        current.push(item);
        end = Math.max(end, to);
      } else {
        if (current.length > 0) requests.push(makeRequest(unitId, table, current));
        current = [item];
        start = from;
        end = to;
      }
    }
    if (current.length > 0) requests.push(makeRequest(unitId, table, current));
  }
  return requests;
}

/**
 * Splits a read that got exception 2 in two at its widest gap (where an unmapped address most likely is), or in
 * the middle of its points when it has no gap. Returns the halves and the hole to remember (the gap, if any).
 */
export function splitRequest(request: ReadRequest): { parts: ReadRequest[]; hole: Hole | null } {
  const pts = request.points;
  if (pts.length < 2) return { parts: [request], hole: null };
  let cut = Math.floor(pts.length / 2);
  let widest = 0;
  let hole: Hole | null = null;
  for (let i = 1; i < pts.length; i++) {
    const prev = pts[i - 1] as PlannedPoint;
    const cur = pts[i] as PlannedPoint;
    const gapFrom = request.address + prev.offset + prev.length;
    const gapTo = request.address + cur.offset - 1;
    if (gapTo - gapFrom + 1 > widest) {
      widest = gapTo - gapFrom + 1;
      cut = i;
      hole = { unitId: request.unitId, table: request.table, from: gapFrom, to: gapTo };
    }
  }
  const toItems = (list: PlannedPoint[]) => list.map((p) => ({ point: p.point, length: p.length }));
  const parts = [
    makeRequest(request.unitId, request.table, toItems(pts.slice(0, cut))),
    makeRequest(request.unitId, request.table, toItems(pts.slice(cut))),
  ];
  return { parts, hole };
}
