import { type ChildProcess, spawn } from 'node:child_process';

/** A component process started from an unzipped artifact with only `node`: output captured, exit awaited. */
export interface RunningProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (signal name if killed by one) within `timeoutMs`, else rejects. */
  exited(timeoutMs?: number): Promise<number | string>;
  /** Kills the process if it is still running (cleanup). */
  kill(): void;
}

/**
 * Runs `node <args>` in `cwd` with a minimal environment: PATH, HOME, and `env`. No NODE_PATH, no repository
 * variables, so only what is inside the unzipped artifact can be loaded. `node` defaults to the one running the tests.
 */
export function runNode(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  node = process.execPath,
): RunningProcess {
  return runProcess(node, args, cwd, env);
}

/** Runs `command <args>` in `cwd` with PATH, HOME and `env` only, output captured. */
export function runProcess(command: string, args: string[], cwd: string, env: Record<string, string>): RunningProcess {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: (timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `process did not exit within ${timeoutMs} ms\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`,
              ),
            ),
          timeoutMs,
        );
        void exit.then((code) => {
          clearTimeout(timer);
          resolve(code);
        });
      }),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Polls `check` every 200 ms until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = 60_000,
  diagnostics: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${diagnostics()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
