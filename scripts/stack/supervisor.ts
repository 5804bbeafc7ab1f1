import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

/**
 * Starts the processes of the local stack, sends each one's stdout/stderr to `<logDir>/<name>.log`, and stops
 * them all (reverse start order, SIGTERM then SIGKILL) on `stopAll()`. A process that exits on its own while the
 * stack is running is reported through `onExit`.
 */
export interface ProcessSpec {
  name: string;
  /** Arguments to `tsx` (a TypeScript entry point and its options) or, with `command`, to that command. */
  args: string[];
  command?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolved when this TCP port accepts a connection. */
  readyPort?: number;
  /** Resolved when a line of the process output matches. */
  readyLine?: RegExp;
  readyTimeoutMs?: number;
}

export interface Supervised {
  spec: ProcessSpec;
  child: ChildProcess;
  log: WriteStream;
  exited: Promise<number | null>;
}

const TSX = require.resolve('tsx/cli');

export class Supervisor {
  private readonly running: Supervised[] = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly onExit: (name: string, code: number | null) => void,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  logFile(name: string): string {
    return join(this.logDir, `${name}.log`);
  }

  async start(spec: ProcessSpec): Promise<Supervised> {
    const log = createWriteStream(this.logFile(spec.name), { flags: 'a' });
    const [cmd, args] = spec.command ? [spec.command, spec.args] : [process.execPath, [TSX, ...spec.args]];
    const child = spawn(cmd, args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let matched: (() => void) | undefined;
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      log.write(chunk);
      if (spec.readyLine && matched) {
        buffered = (buffered + chunk.toString('utf8')).slice(-8192);
        if (spec.readyLine.test(buffered)) matched();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => {
        log.end();
        if (!this.stopping) this.onExit(spec.name, code);
        resolve(code);
      });
    });
    const entry: Supervised = { spec, child, log, exited };
    this.running.push(entry);

    const timeoutMs = spec.readyTimeoutMs ?? 60_000;
    const ready: Promise<void>[] = [];
    if (spec.readyLine) ready.push(new Promise<void>((resolve) => (matched = resolve)));
    if (spec.readyPort !== undefined) ready.push(waitForPort(spec.readyPort, timeoutMs));
    if (ready.length > 0) {
      const failed = exited.then((code) => {
        throw new Error(`${spec.name} exited with code ${code} before it was ready; see ${this.logFile(spec.name)}`);
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${spec.name} not ready after ${timeoutMs} ms; see ${this.logFile(spec.name)}`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([Promise.all(ready), failed, timeout]);
      } finally {
        clearTimeout(timer);
        failed.catch(() => undefined);
      }
    }
    return entry;
  }

  /** Stops every process, newest first: SIGTERM, then SIGKILL after `graceMs`. */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const p of [...this.running].reverse()) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      p.child.kill('SIGTERM');
      const killer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      await p.exited;
      clearTimeout(killer);
    }
  }
}

export function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = createConnection({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not open after ${timeoutMs} ms`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}
