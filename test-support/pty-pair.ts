import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Two pseudo-terminals joined by `socat` (Debian package `socat`): bytes written to one end come out of the other,
 * at once — a null-modem cable without line timing. The Modbus RTU tests and benchmark put the collector on `a`
 * and the simulator (or modbus-serial's ServerSerial) on `b`.
 */
export interface PtyPair {
  /** Paths of the two ends (symlinks to /dev/pts/N). */
  a: string;
  b: string;
  /** Stops socat (both ends report the port closed) and removes the links. */
  close(): Promise<void>;
}

/** Opens a pair at fresh paths, or again at the paths of a closed pair (a cable plugged back in). */
export async function openPtyPair(again?: Pick<PtyPair, 'a' | 'b'>): Promise<PtyPair> {
  const dir = again ? dirname(again.a) : mkdtempSync(join(tmpdir(), 'pcf-edge-pty-'));
  mkdirSync(dir, { recursive: true });
  const a = again?.a ?? join(dir, 'a');
  const b = again?.b ?? join(dir, 'b');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const t = setTimeout(() => reject(new Error(`socat did not start within 5 s:\n${log}`)), 5000);
    socat.once('error', (err) => {
      clearTimeout(t);
      reject(new Error(`cannot run socat (Debian package socat): ${err.message}`));
    });
    socat.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`socat exited (${code}):\n${log}`));
    });
    socat.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('starting data transfer loop')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  socat.stderr.resume();
  return {
    a,
    b,
    async close() {
      if (socat.exitCode === null && socat.signalCode === null) socat.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
