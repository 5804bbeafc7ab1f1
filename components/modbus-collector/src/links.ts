import type { Logger } from '@pcf-edge/core';
import type { DeviceConfig } from './config';
import type { DeviceLink } from './link';
import { RtuLink } from './rtu-link';
import { TcpLink } from './tcp-link';

/** The link for a device's transport: Modbus TCP (tcp-link.ts), or an RTU bus on a serial port or over TCP (rtu-link.ts). */
export function createDeviceLink(device: DeviceConfig, log: Logger): DeviceLink {
  switch (device.transport) {
    case 'tcp':
      return new TcpLink(device, log);
    case 'rtu':
    case 'rtuOverTcp':
      return new RtuLink(device, log);
  }
}
