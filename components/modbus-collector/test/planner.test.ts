import type { ResolvedPoint } from '../src/config';
import { planRequests, splitRequest } from '../src/planner';

const pt = (
  name: string,
  table: ResolvedPoint['table'],
  address: number,
  type: ResolvedPoint['type'] = 'uint16',
): ResolvedPoint => ({
  name,
  quantity: 'activePower',
  kind: 'gauge',
  table,
  address,
  type,
  wordOrder: 'ABCD',
  scale: 1,
  offset: 0,
});

const summary = (reqs: ReturnType<typeof planRequests>) =>
  reqs.map((r) => `${r.functionCode}@${r.address}+${r.count}:${r.points.map((p) => p.point.name).join(',')}`);

describe('planRequests', () => {
  it('coalesces neighbours of one table and fills gaps up to maxGapRegisters', () => {
    const pts = [
      pt('a', 'input', 0, 'float32'),
      pt('b', 'input', 2, 'float32'),
      pt('c', 'input', 10, 'uint16'),
      pt('d', 'input', 20, 'uint16'),
    ];
    expect(summary(planRequests(1, pts, { maxRegistersPerRead: 125, maxGapRegisters: 6 }))).toEqual([
      '4@0+11:a,b,c',
      '4@20+1:d',
    ]);
    expect(summary(planRequests(1, pts, { maxRegistersPerRead: 125, maxGapRegisters: 9 }))).toEqual(['4@0+21:a,b,c,d']);
    expect(summary(planRequests(1, pts, { maxRegistersPerRead: 125, maxGapRegisters: 0 }))).toEqual([
      '4@0+4:a,b',
      '4@10+1:c',
      '4@20+1:d',
    ]);
  });

  it('never exceeds maxRegistersPerRead and keeps tables apart with their function codes', () => {
    const pts = [
      pt('h1', 'holding', 0x5000, 'uint64'),
      pt('h2', 'holding', 0x5004, 'uint64'),
      pt('c', 'coil', 3),
      pt('x', 'discrete', 3),
      pt('i', 'input', 0),
    ];
    const plan = planRequests(7, pts, { maxRegistersPerRead: 6, maxGapRegisters: 10 });
    expect(summary(plan)).toEqual(['1@3+1:c', '2@3+1:x', '3@20480+4:h1', '3@20484+4:h2', '4@0+1:i']);
    expect(plan.every((r) => r.unitId === 7 && r.count <= 6)).toBe(true);
  });

  it('sorts by address and handles the 125-register limit exactly', () => {
    const pts = Array.from({ length: 70 }, (_, i) => pt(`p${i}`, 'holding', (69 - i) * 2, 'float32'));
    const plan = planRequests(1, pts, { maxRegistersPerRead: 125, maxGapRegisters: 0 });
    expect(plan.map((r) => [r.address, r.count])).toEqual([
      [0, 124],
      [124, 16],
    ]);
    expect(plan[0]?.points[1]?.offset).toBe(2);
  });

  it('does not bridge a known hole', () => {
    const pts = [pt('a', 'holding', 0), pt('b', 'holding', 5)];
    const hole = { unitId: 1, table: 'holding' as const, from: 1, to: 4 };
    expect(summary(planRequests(1, pts, { maxRegistersPerRead: 125, maxGapRegisters: 10 }, [hole]))).toEqual([
      '3@0+1:a',
      '3@5+1:b',
    ]);
    expect(summary(planRequests(2, pts, { maxRegistersPerRead: 125, maxGapRegisters: 10 }, [hole]))).toEqual([
      '3@0+6:a,b',
    ]);
  });
});

describe('splitRequest', () => {
  it('splits at the widest gap and reports it as the hole', () => {
    const [req] = planRequests(
      1,
      [pt('a', 'holding', 0), pt('b', 'holding', 2), pt('c', 'holding', 9), pt('d', 'holding', 10)],
      { maxRegistersPerRead: 125, maxGapRegisters: 10 },
    );
    const { parts, hole } = splitRequest(req!);
    expect(summary(parts)).toEqual(['3@0+3:a,b', '3@9+2:c,d']);
    expect(hole).toEqual({ unitId: 1, table: 'holding', from: 3, to: 8 });
  });

  it('halves a contiguous read and leaves a single point alone', () => {
    const [req] = planRequests(1, [pt('a', 'holding', 0), pt('b', 'holding', 1), pt('c', 'holding', 2)], {
      maxRegistersPerRead: 125,
      maxGapRegisters: 0,
    });
    const { parts, hole } = splitRequest(req!);
    expect(summary(parts)).toEqual(['3@0+1:a', '3@1+2:b,c']);
    expect(hole).toBeNull();
    expect(splitRequest(parts[0]!).parts).toEqual([parts[0]]);
  });
});
