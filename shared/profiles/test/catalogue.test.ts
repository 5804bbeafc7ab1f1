import { isPcfError, QUANTITIES } from '@pcf-edge/core';
import { decodePoint, defaultModulus, encodePoint, getProfile, PROFILES, registerCount } from '../src';

describe('profile catalogue', () => {
  it('ships the required profiles', () => {
    for (const name of [
      'eastron-sdm630',
      'carlo-gavazzi-em24',
      'schneider-pm5xxx',
      'schneider-iem3000',
      'abb-b23',
      'gas-pulse-counter',
      'gas-pulse-counter-32',
    ]) {
      expect(getProfile(name).name).toBe(name);
    }
  });

  it('names the known profiles when one is unknown', () => {
    try {
      getProfile('nope');
      throw new Error('expected a throw');
    } catch (e) {
      expect(isPcfError(e, 'ERR_PROFILE_UNKNOWN')).toBe(true);
      expect((e as Error).message).toContain('eastron-sdm630');
    }
    expect(() => getProfile('toString')).toThrow(/unknown meter profile/);
  });

  it.each(Object.values(PROFILES).map((p) => [p.name, p] as const))('%s is consistent', (_name, profile) => {
    const names = new Set<string>();
    const used = new Map<string, string>();
    for (const p of profile.points) {
      expect(names.has(p.name)).toBe(false);
      names.add(p.name);
      expect(p.kind).toBe(QUANTITIES[p.quantity].kind);
      expect(p.address).toBeGreaterThanOrEqual(0);
      expect(p.address + registerCount(p.type)).toBeLessThanOrEqual(0x10000);
      for (let a = p.address; a < p.address + registerCount(p.type); a++) {
        const key = `${p.table}:${a}`;
        expect(used.get(key)).toBeUndefined();
        used.set(key, p.name);
      }
      if (p.kind === 'counter') expect(p.maxRatePerHour).toBeGreaterThan(0);
      if (p.modulus !== undefined) expect(p.modulus).toBe(defaultModulus(p));
      const sample = p.kind === 'counter' ? 123.45 : 230.1;
      const back = decodePoint(encodePoint(sample, p), p);
      expect(Math.abs(back - sample)).toBeLessThanOrEqual(Math.max(p.scale, Math.abs(sample) * 1e-6));
    }
    expect(profile.maxRegistersPerRead ?? 125).toBeLessThanOrEqual(125);
  });

  it('uses the documented energy registers', () => {
    const energy = (name: string, point: string) => getProfile(name).points.find((p) => p.name === point);
    expect(energy('eastron-sdm630', 'energyImport')).toMatchObject({
      table: 'input',
      address: 0x48,
      type: 'float32',
      wordOrder: 'ABCD',
    });
    expect(energy('carlo-gavazzi-em24', 'energyImport')).toMatchObject({
      table: 'input',
      address: 0x42,
      type: 'int32',
      wordOrder: 'CDAB',
      scale: 0.1,
    });
    expect(energy('schneider-pm5xxx', 'energyImportWh')).toMatchObject({
      table: 'holding',
      address: 3203,
      type: 'int64',
      scale: 0.001,
    });
    expect(energy('schneider-pm5xxx', 'energyImportKWh')).toMatchObject({
      table: 'holding',
      address: 2699,
      type: 'float32',
    });
    expect(energy('abb-b23', 'energyImport')).toMatchObject({
      table: 'holding',
      address: 0x5000,
      type: 'uint64',
      scale: 0.01,
    });
    expect(energy('gas-pulse-counter', 'volume')).toMatchObject({ type: 'uint16', scale: 0.01, modulus: 655.36 });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(PROFILES['abb-b23']?.points[0])).toBe(true);
  });
});
