import { isPcfError, type PcfError } from '@pcf-edge/core';
import { parseCollectorConfig, tcpEndpoint } from '../src/config';

const meters = [{ id: 'm1', line: 'L1', device: 'd1', profile: 'eastron-sdm630' }];
const withDevice = (d: Record<string, unknown>) => ({ site: 'S1', devices: [{ id: 'd1', ...d }], meters });

function errorsOf(data: unknown): string[] {
  try {
    parseCollectorConfig(data, 'test.yaml');
  } catch (err) {
    expect(isPcfError(err, 'ERR_CONFIG_INVALID')).toBe(true);
    return (err as PcfError).details.errors as string[];
  }
  throw new Error('config was accepted');
}

describe('device transports', () => {
  it('a device is Modbus TCP on port 502 unless it says otherwise', () => {
    const d = parseCollectorConfig(withDevice({ host: '10.0.0.5' }), 'ok').devices[0]!;
    expect(d.transport).toBe('tcp');
    expect(d).not.toHaveProperty('port');
    expect(tcpEndpoint(d)).toEqual({ host: '10.0.0.5', port: 502 });
  });

  it('an RTU bus needs a serial path and a baud rate; the line defaults to Modbus 8E1 and 2 CRC retries', () => {
    const d = parseCollectorConfig(
      withDevice({ transport: 'rtu', serial: { path: '/dev/ttyUSB0', baudRate: 9600 } }),
      'ok',
    ).devices[0]!;
    expect(d.serial).toEqual({
      path: '/dev/ttyUSB0',
      baudRate: 9600,
      parity: 'even',
      dataBits: 8,
      stopBits: 1,
      crcRetries: 2,
    });
    expect(d).not.toHaveProperty('host');
    expect(d).not.toHaveProperty('port');
  });

  it('RTU over TCP takes host, port and the converter line', () => {
    const d = parseCollectorConfig(
      withDevice({
        transport: 'rtuOverTcp',
        host: '10.0.0.9',
        port: 4001,
        serial: { baudRate: 19200, parity: 'none', stopBits: 2 },
      }),
      'ok',
    ).devices[0]!;
    expect(tcpEndpoint(d)).toEqual({ host: '10.0.0.9', port: 4001 });
    expect(d.serial).toMatchObject({ baudRate: 19200, parity: 'none', stopBits: 2 });
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['tcp without host', {}, '/devices/0: transport tcp needs host'],
    [
      'serial on a tcp device',
      { host: 'x', serial: { baudRate: 9600 } },
      '/devices/0/serial: not used by transport tcp (serial settings apply to rtu and rtuOverTcp)',
    ],
    ['rtu without serial', { transport: 'rtu' }, '/devices/0: transport rtu needs serial (path, baudRate, …)'],
    [
      'rtu without a path',
      { transport: 'rtu', serial: { baudRate: 9600 } },
      '/devices/0/serial: transport rtu needs path (the serial device)',
    ],
    [
      'host and port on an rtu bus',
      { transport: 'rtu', host: 'x', port: 502, serial: { path: '/dev/ttyS0', baudRate: 9600 } },
      '/devices/0/host: not used by transport rtu (the bus is serial.path)\n/devices/0/port: not used by transport rtu (the bus is serial.path)',
    ],
    [
      'rtuOverTcp without the converter line',
      { transport: 'rtuOverTcp', host: 'x' },
      "/devices/0: transport rtuOverTcp needs serial (the converter's baudRate, parity, stopBits set the timing)",
    ],
    [
      'a serial path on rtuOverTcp',
      { transport: 'rtuOverTcp', host: 'x', serial: { path: '/dev/ttyS0', baudRate: 9600 } },
      '/devices/0/serial/path: not used by transport rtuOverTcp (the converter owns the serial port)',
    ],
    [
      'no baud rate',
      { transport: 'rtu', serial: { path: '/dev/ttyS0' } },
      "/devices/0/serial: missing required property 'baudRate'",
    ],
    [
      '7 data bits (Modbus ASCII)',
      { transport: 'rtu', serial: { path: '/dev/ttyS0', baudRate: 9600, dataBits: 7 } },
      '/devices/0/serial/dataBits: must be equal to one of the allowed values (8)',
    ],
    [
      'an unknown parity',
      { transport: 'rtu', serial: { path: '/dev/ttyS0', baudRate: 9600, parity: 'mark' } },
      '/devices/0/serial/parity: must be equal to one of the allowed values (none, even, odd)',
    ],
    [
      'an unknown transport',
      { transport: 'udp', host: 'x' },
      '/devices/0/transport: must be equal to one of the allowed values (tcp, rtu, rtuOverTcp)',
    ],
  ];
  it.each(cases)('rejects %s, naming the path', (_name, device, expected) => {
    expect(errorsOf(withDevice(device)).join('\n')).toContain(expected);
  });

  it('refuses two devices on one serial port', () => {
    const bus = (id: string) => ({ id, transport: 'rtu', serial: { path: '/dev/ttyUSB0', baudRate: 9600 } });
    const c = { site: 'S1', devices: [bus('d1'), bus('d2')], meters };
    expect(errorsOf(c)).toEqual([
      "/devices/1/serial/path: '/dev/ttyUSB0' is already the bus of /devices/0 (one device per bus; give its meters their unit ids)",
    ]);
  });
});
