import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port handed out (above the well-known and most registered service ports). */
const LOWEST = 10_000;

/** Ports at or above this are the kernel's ephemeral range (source ports of outgoing connections). */
function ephemeralLow(): number {
  try {
    const lo = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(lo) && lo > LOWEST + 1000) return lo;
  } catch {
    // no /proc (not Linux): the IANA dynamic range starts at 49152, Linux's default at 32768
  }
  return 32768;
}

/**
 * A TCP port that was free on 127.0.0.1 a moment ago, below the ephemeral range. The stack restarts its servers on
 * the same port (Kinesis and Stream Manager outages); a port in the ephemeral range can meanwhile become the source
 * port of an outgoing connection — even of a client retrying that very port, which then connects to itself while
 * nothing listens — and the restart fails with EADDRINUSE for as long as the client retries (30-minute soak, seed
 * 303: 26 failed Kinesis restarts).
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free TCP port on 127.0.0.1 in ${LOWEST}…${high - 1} after 500 attempts`);
}

/** Distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

/** True when `port` can be bound on 127.0.0.1 now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
