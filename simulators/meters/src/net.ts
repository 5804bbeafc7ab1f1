import { createServer, type AddressInfo } from 'node:net';

/**
 * A port that was free a moment ago on `host`. For servers that cannot listen on port 0 themselves (node-opcua
 * fixes endpoint URLs before listening).
 */
export async function freePort(host: string): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, host, () => resolve()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
