import { Socket } from 'node:net';
import { serialSettings, tcpEndpoint, type DeviceConfig } from './config';

/** The byte pipe under an RTU link: a serial port, or a TCP connection to a converter in transparent mode. */
export interface RtuPort {
  /** Queues a frame for the line. */
  write(frame: Buffer): void;
  /** Closes the port; no handler is called afterwards. Resolves once it is closed (a serial port's lock freed). */
  close(): Promise<void>;
}

export interface RtuPortHandlers {
  data(chunk: Buffer): void;
  /** The port closed or failed by itself (cable, converter, device gone); no handler is called afterwards. */
  lost(reason: string): void;
}

/**
 * Opens the port of an rtu or rtuOverTcp device within its connectTimeoutMs. Rejects with an Error whose message
 * is the quality reason (`open failed: …`, `connect failed: …`, `connect timeout`).
 */
export function openRtuPort(device: DeviceConfig, handlers: RtuPortHandlers): Promise<RtuPort> {
  return device.transport === 'rtu' ? openSerial(device, handlers) : openSocket(device, handlers);
}

/**
 * The serial port through `serialport` (the transport modbus-serial's RTU client and server use), loaded only
 * when a device needs it. Input left from before is discarded once open, so the first reply starts clean.
 */
async function openSerial(device: DeviceConfig, handlers: RtuPortHandlers): Promise<RtuPort> {
  const { path, baudRate, parity, dataBits, stopBits } = serialSettings(device);
  if (path === undefined) throw new Error(`device ${device.id}: no serial path in a validated config`);
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, parity, dataBits, stopBits, autoOpen: false });
  let open = false;
  port.on('error', () => undefined); // reported through open's callback or 'close'
  let timedOut = false;
  // connectTimeoutMs bounds the open and the flush after it: a driver that never answers cannot hold the link.
  const opened = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      timedOut = true;
      reject(new Error('open timeout'));
    }, device.connectTimeoutMs);
    port.open((err) => {
      if (err) {
        clearTimeout(t);
        reject(new Error(`open failed: ${err.message}`));
      } else if (timedOut) port.close();
      else
        port.flush((flushErr) => {
          clearTimeout(t);
          if (flushErr) reject(new Error(`open failed: flush: ${flushErr.message}`));
          else resolve();
        });
    });
  });
  try {
    await opened;
  } catch (err) {
    if (port.isOpen) port.close();
    throw err;
  }
  open = true;
  port.on('data', (chunk: Buffer) => handlers.data(chunk));
  port.on('close', (err: Error | null) => {
    if (!open) return;
    open = false;
    handlers.lost(`serial port closed${err ? ` (${err.message})` : ''}`);
  });
  return {
    write: (frame) => void port.write(frame),
    close: () =>
      new Promise<void>((resolve) => {
        port.removeAllListeners('data');
        if (!open || !port.isOpen) {
          open = false;
          resolve();
          return;
        }
        open = false;
        // Bounded like the open: a close the driver never confirms must not hold a reload or a stop forever.
        const t = setTimeout(resolve, device.connectTimeoutMs);
        port.close(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}

/** A TCP connection carrying RTU frames as they are on the line (CRC included, no MBAP header). */
function openSocket(device: DeviceConfig, handlers: RtuPortHandlers): Promise<RtuPort> {
  const { host, port } = tcpEndpoint(device);
  const socket = new Socket();
  return new Promise<RtuPort>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(t);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      reject(new Error(reason));
    };
    const t = setTimeout(() => fail('connect timeout'), device.connectTimeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => fail(`connect failed: ${err.code ?? err.message}`));
    socket.once('connect', () => {
      clearTimeout(t);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      let lastError = '';
      let open = true;
      socket.on('error', (err: NodeJS.ErrnoException) => (lastError = err.code ?? err.message));
      socket.on('data', (chunk: Buffer) => handlers.data(chunk));
      socket.on('close', () => {
        if (!open) return;
        open = false;
        handlers.lost(`connection closed by device${lastError ? ` (${lastError})` : ''}`);
      });
      resolve({
        write: (frame) => void socket.write(frame),
        close: () => {
          open = false;
          socket.removeAllListeners('data');
          socket.destroy();
          return Promise.resolve();
        },
      });
    });
    socket.connect({ host, port });
  });
}
