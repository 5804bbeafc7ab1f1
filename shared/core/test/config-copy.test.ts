import { copyConfigData } from '../src/config-copy';

describe('copyConfigData', () => {
  it('copies nested objects and arrays, leaving the original alone', () => {
    const data = { site: 's', meters: [{ id: 'm1', points: [{ table: 'holding', scale: 0.1, on: true, x: null }] }] };
    const copy = copyConfigData(data) as typeof data;
    expect(copy).toEqual(data);
    expect(copy).not.toBe(data);
    expect(copy.meters[0]).not.toBe(data.meters[0]);
    expect(copy.meters[0]!.points[0]).not.toBe(data.meters[0]!.points[0]);
    copy.meters[0]!.points[0]!.table = 'input';
    expect(data.meters[0]!.points[0]!.table).toBe('holding');
  });

  it('keeps an own "__proto__" key as a key, as JSON.parse and structuredClone do', () => {
    const data = JSON.parse('{"a":{"__proto__":{"polluted":1}}}') as { a: object };
    const copy = copyConfigData(data) as { a: object };
    expect(Object.keys(copy.a)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(copy.a)).toBe(Object.prototype);
    expect((copy.a as { polluted?: number }).polluted).toBeUndefined();
    expect(copy).toEqual(structuredClone(data));
  });

  it('copies values that are not plain data with structuredClone', () => {
    const when = new Date(0);
    const copy = copyConfigData({ when }) as { when: Date };
    // structuredClone builds it in Node's realm, not the test's: checked by tag, not instanceof
    expect(Object.prototype.toString.call(copy.when)).toBe('[object Date]');
    expect(copy.when).not.toBe(when);
    expect(copy.when.getTime()).toBe(0);
  });

  it('copies a frozen configuration into a mutable one', () => {
    const data = Object.freeze({ list: Object.freeze([Object.freeze({ k: 'v' })]) });
    const copy = copyConfigData(data) as { list: { k: string }[] };
    expect(Object.isFrozen(copy)).toBe(false);
    copy.list[0]!.k = 'w';
    expect(data.list[0]!.k).toBe('v');
  });
});
