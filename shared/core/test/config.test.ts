import { validateConfig, isPcfError, PcfError, rollupId, windowStartOf, parseDuration } from '@pcf-edge/core';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'devices'],
  properties: {
    site: { type: 'string', minLength: 1 },
    pollIntervalMs: { type: 'integer', minimum: 100, default: 1000 },
    devices: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'port'],
        properties: { id: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
      },
    },
  },
};

describe('validateConfig', () => {
  it('applies defaults and freezes the result', () => {
    const cfg = validateConfig<{ site: string; pollIntervalMs: number; devices: { id: string; port: number }[] }>(
      { site: 'a', devices: [{ id: 'd', port: 502 }] },
      schema,
      'test',
    );
    expect(cfg.pollIntervalMs).toBe(1000);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.devices[0])).toBe(true);
  });

  it('lists every bad path in one error', () => {
    let caught: unknown;
    try {
      validateConfig({ site: '', extra: 1, devices: [{ id: 'x', port: 70000 }, { port: 'no' }] }, schema, 'bad.yaml');
    } catch (err) {
      caught = err;
    }
    expect(isPcfError(caught, 'ERR_CONFIG_INVALID')).toBe(true);
    const errors = (caught as PcfError).details.errors as string[];
    expect(errors).toEqual(
      expect.arrayContaining([
        "/: unknown property 'extra'",
        '/site: must NOT have fewer than 1 characters',
        '/devices/0/port: must be <= 65535',
        "/devices/1: missing required property 'id'",
        '/devices/1/port: must be integer',
      ]),
    );
    expect((caught as Error).message).toContain('bad.yaml');
  });
});

describe('a pattern with x-rule', () => {
  const ruled = {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[a-z]+$', 'x-rule': 'name must be lower-case letters' },
      code: { type: 'string', pattern: '^[0-9]+$' },
    },
  };

  it('is reported with its rule and the value; a pattern without one keeps the regular expression', () => {
    expect(() => validateConfig({ name: "it's", code: 'x' }, ruled, 'test')).toThrow(
      expect.objectContaining({
        details: expect.objectContaining({
          errors: [`/name: name must be lower-case letters; got "it's"`, '/code: must match pattern "^[0-9]+$"'],
        }) as unknown,
      }),
    );
  });
});

describe('rollup keys', () => {
  it('is deterministic and distinguishes windows', () => {
    const k = {
      type: 'line' as const,
      site: 's',
      line: 'l1',
      windowMs: 60_000,
      windowStartMs: windowStartOf(125_000, 60_000),
    };
    expect(k.windowStartMs).toBe(120_000);
    expect(rollupId(k)).toBe(rollupId({ ...k }));
    expect(rollupId(k)).not.toBe(rollupId({ ...k, windowStartMs: 180_000 }));
    expect(parseDuration('15m')).toBe(900_000);
    expect(() => parseDuration('15 minutes')).toThrow(/not a duration/);
  });
});
