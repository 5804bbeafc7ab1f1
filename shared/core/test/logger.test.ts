import type { DestinationStream } from 'pino';
import { createLogger, stageLogger } from '@pcf-edge/core';

function capture(): { dest: DestinationStream; text: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const dest: DestinationStream = { write: (s: string) => void chunks.push(s) };
  return {
    dest,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SECRETS = [
  'hunter2',
  'tok-123',
  'shh-456',
  'Bearer abc.def',
  'cs-789',
  'pw-deep',
  'at-1',
  'sec-nested',
  'tok-nested',
  'pw-endpoint',
];

describe('logger', () => {
  test('passwords, tokens and secrets never reach the output, at any usual depth', () => {
    const out = capture();
    const log = createLogger({ component: 'modbus-collector', level: 'debug', destination: out.dest });
    log.info({ password: 'hunter2', token: 'tok-123', secret: 'shh-456' }, 'top level');
    log.info(
      { headers: { authorization: 'Bearer abc.def' }, oauth: { clientSecret: 'cs-789', accessToken: 'at-1' } },
      'one deep',
    );
    log.info({ config: { endpoints: [{ url: 'opc.tcp://x', password: 'pw-endpoint' }] } }, 'endpoints');
    log.info({ config: { kinesis: { secret: 'sec-nested', token: 'tok-nested' } } }, 'two deep');
    log.info({ config: { opcua: { security: { password: 'pw-deep' } } } }, 'three deep');
    const stage = stageLogger(log, 'poll', { meterId: 'm1' });
    stage.warn({ device: { password: 'hunter2' } }, 'child logger');
    const text = out.text();
    for (const s of SECRETS) expect(text).not.toContain(s);
    expect(text).toContain('[redacted]');
    expect(text).toContain('opc.tcp://x'); // non-secret fields survive
  });

  test('carries component on every line and stage on child lines', () => {
    const out = capture();
    const log = createLogger({ component: 'aggregator', level: 'info', destination: out.dest });
    log.info('root');
    stageLogger(log, 'rollup', { line: 'line-a' }).info('child');
    log.debug('filtered by level');
    const [root, child, ...rest] = out.lines();
    expect(rest).toEqual([]);
    expect(root).toMatchObject({ component: 'aggregator', msg: 'root' });
    expect(root).not.toHaveProperty('stage');
    expect(child).toMatchObject({ component: 'aggregator', stage: 'rollup', line: 'line-a', msg: 'child' });
    expect(typeof root?.time).toBe('string'); // ISO time
  });
});
