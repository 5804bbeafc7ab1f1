import { DataValue, type ClientSession, type NodeId } from 'node-opcua-client';
import { startPoller } from '../src/poller';

// Scheduling only: the Read service itself is exercised against real servers in collector.test.ts and
// recovery.test.ts. Here a session whose read() takes a controlled time runs under jest's fake clock.
jest.mock('hexy', () => jest.requireActual('./support/hexy-mock').hexyMock);

function fakeSession(readMs: () => number, calls: number[]): ClientSession {
  return {
    read: (nodes: unknown[]) => {
      calls.push(Date.now());
      return new Promise((resolve) => setTimeout(() => resolve(nodes.map(() => new DataValue())), readMs()));
    },
  } as unknown as ClientSession;
}

const items = (n: number) => Array.from({ length: n }, () => ({ nodeId: {} as NodeId, deliver: jest.fn() }));

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

test('ticks stay on the fixed grid start + k × interval regardless of read time', async () => {
  const calls: number[] = [];
  const list = items(3);
  const p = startPoller(
    fakeSession(() => 37, calls),
    100,
    list,
    1000,
    () => undefined,
  );
  await jest.advanceTimersByTimeAsync(1000);
  p.stop();
  expect(calls.map((t) => t - 1_000_000)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  expect(p.overruns).toBe(0);
  expect(list[0]?.deliver).toHaveBeenCalledTimes(10); // the read issued at 1000 ms has not answered yet
});

test('a read longer than the interval skips ticks and counts them as overruns', async () => {
  const calls: number[] = [];
  const p = startPoller(
    fakeSession(() => 250, calls),
    100,
    items(1),
    1000,
    () => undefined,
  );
  await jest.advanceTimersByTimeAsync(1000);
  p.stop();
  // Reads start on grid slots only: 0, then the first free slot after each 250 ms read (300, 600, 900).
  expect(calls.map((t) => t - 1_000_000)).toEqual([0, 300, 600, 900]);
  expect(p.overruns).toBe(7);
});

test('nodes are read in chunks of maxNodesPerRead; a failed read reports once and stops polling', async () => {
  const sizes: number[] = [];
  let fail = false;
  const session = {
    read: (nodes: unknown[]) => {
      sizes.push(nodes.length);
      return fail
        ? Promise.reject(new Error('BadSessionIdInvalid'))
        : Promise.resolve(nodes.map(() => new DataValue()));
    },
  } as unknown as ClientSession;
  const onError = jest.fn();
  const p = startPoller(session, 100, items(5), 2, onError);
  await jest.advanceTimersByTimeAsync(50);
  expect(sizes).toEqual([2, 2, 1]);
  fail = true;
  await jest.advanceTimersByTimeAsync(500);
  expect(onError).toHaveBeenCalledTimes(1);
  expect((onError.mock.calls[0] as [Error])[0].message).toBe('BadSessionIdInvalid');
  expect(sizes).toHaveLength(4);
  p.stop();
});
