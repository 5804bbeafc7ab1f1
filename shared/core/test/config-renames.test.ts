import type { DestinationStream } from 'pino';
import { createLogger, isPcfError, validateConfig } from '@pcf-edge/core';

const retry = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    initialDelayMs: { type: 'integer', minimum: 10, default: 250 },
    maxDelayMs: { type: 'integer', minimum: 10, default: 30000 },
    multiplier: { type: 'number', minimum: 1, default: 2 },
  },
};

/** A nested rename with inner keys (devices[].backoff) and a top-level leaf moved into an object (exporter). */
const schema = {
  type: 'object',
  additionalProperties: false,
  'x-renamed': { initialBackoffMs: { to: 'retry/initialDelayMs' }, maxBackoffMs: { to: 'retry/maxDelayMs' } },
  properties: {
    retry,
    devices: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        'x-renamed': { backoff: { to: 'retry', keys: { initialMs: 'initialDelayMs', maxMs: 'maxDelayMs' } } },
        properties: { id: { type: 'string' }, retry },
      },
    },
  },
};

interface Cfg {
  retry: { initialDelayMs: number; maxDelayMs: number; multiplier: number };
  devices: { id: string; retry: { initialDelayMs: number; maxDelayMs: number; multiplier: number } }[];
}

function capture(): { dest: DestinationStream; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  return {
    dest: { write: (s: string) => void chunks.push(s) },
    lines: () => chunks.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

function errorsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (isPcfError(err, 'ERR_CONFIG_INVALID')) return err.details.errors as string[];
    throw err;
  }
  throw new Error('expected ERR_CONFIG_INVALID');
}

describe('deprecated configuration keys (x-renamed)', () => {
  it('accepts the old spelling as the new one and warns naming the file, the old key and the new key', () => {
    const out = capture();
    const log = createLogger({ component: 'test', destination: out.dest });
    const data = {
      initialBackoffMs: 50,
      devices: [{ id: 'a', backoff: { initialMs: 20, multiplier: 3 } }, { id: 'b' }],
    };
    const cfg = validateConfig<Cfg>(data, schema, '/etc/collector.yaml', undefined, log);
    expect(cfg.retry).toEqual({ initialDelayMs: 50, maxDelayMs: 30000, multiplier: 2 });
    expect(cfg.devices[0]).toEqual({ id: 'a', retry: { initialDelayMs: 20, maxDelayMs: 30000, multiplier: 3 } });
    expect(cfg.devices[1]?.retry.initialDelayMs).toBe(250);
    expect(data.devices[0]).toHaveProperty('backoff'); // the caller's object is left as it was
    const warnings = out.lines().filter((l) => l.level === 40);
    expect(warnings.map((w) => [w.file, w.oldKey, w.newKey])).toEqual([
      ['/etc/collector.yaml', '/initialBackoffMs', '/retry/initialDelayMs'],
      ['/etc/collector.yaml', '/devices/0/backoff', '/devices/0/retry'],
    ]);
  });

  it('gives the same result as the new spelling, without warnings', () => {
    const out = capture();
    const log = createLogger({ component: 'test', destination: out.dest });
    const cfg = validateConfig<Cfg>(
      { devices: [{ id: 'a', retry: { initialDelayMs: 20, multiplier: 3 } }] },
      schema,
      'new.yaml',
      undefined,
      log,
    );
    expect(cfg.devices[0]?.retry).toEqual({ initialDelayMs: 20, maxDelayMs: 30000, multiplier: 3 });
    expect(out.lines()).toEqual([]);
  });

  it('refuses both spellings at once, naming both', () => {
    expect(errorsOf(() => validateConfig({ maxBackoffMs: 100, retry: { maxDelayMs: 200 } }, schema, 'f'))).toEqual([
      '/maxBackoffMs: deprecated spelling of /retry/maxDelayMs, which is also given; keep only /retry/maxDelayMs',
    ]);
    expect(
      errorsOf(() =>
        validateConfig({ devices: [{ id: 'a', backoff: {}, retry: {} }] }, schema, 'f', undefined, undefined),
      ),
    ).toEqual([
      '/devices/0/backoff: deprecated spelling of /devices/0/retry, which is also given; keep only /devices/0/retry',
    ]);
  });

  it('names a bad value where it was written, under its old key', () => {
    const errors = errorsOf(() =>
      validateConfig(
        { maxBackoffMs: 'soon', devices: [{ id: 'a', backoff: { initialMs: 1, extra: true } }] },
        schema,
        'f',
        (c: Cfg) => (c.devices[0]?.retry.multiplier === 2 ? ['/devices/0/retry/initialDelayMs: semantic'] : []),
      ),
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        '/maxBackoffMs: must be integer',
        '/devices/0/backoff/initialMs: must be >= 10',
        "/devices/0/backoff: unknown property 'extra'",
      ]),
    );
  });
});
