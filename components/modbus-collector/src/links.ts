import type { Logger } from '@pcf-edge/core';
import type { DeviceConfig } from './config';
import type { DeviceLink } from './link';
import { TcpLink } from './tcp-link';

/** The link for a device's transport: Modbus TCP (tcp-link.ts); RTU links are added here beside it. */
export function createDeviceLink(device: DeviceConfig, log: Logger): DeviceLink {
  return new TcpLink(device, log);
}
