import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runNode, type RunningProcess } from '../standalone/processes';
import { createIpcTestServer, type IpcTestServer } from './server';

const ROOT = resolve(__dirname, '../..');

export interface ComponentHarnessOptions {
  /** Greengrass component name the token belongs to, e.g. com.pcfedge.ModbusCollector. */
  component: string;
  token: string;
  /** The component's entry point, relative to the repository root. */
  main: string;
  /** Prefix of the temporary folder (HOME of the process; stores go below it). */
  tmpPrefix: string;
  /** A fresh IPC test server for every test (default), or one for the file. */
  serverPer?: 'test' | 'file';
}

export interface ComponentHarness {
  readonly root: string;
  /** The temporary folder of the file (removed after all tests). */
  readonly tmp: string;
  readonly server: IpcTestServer;
  /**
   * A store path of the shape the recipes allow, `<tmp>/<under>/work/pcf-edge/gateway.sqlite` (`<tmp>/<under>` stands
   * for a Greengrass root); its folder is created.
   */
  storePath(under?: string): string;
  /** Starts the component as a real process (`tsx <main> --store <store>`) with the IPC environment of its token. */
  start(store: string): RunningProcess;
}

/**
 * Registers the jest hooks that run a component as a real process under the Greengrass IPC test server: a
 * temporary folder for the file, the server (per test or per file), and the process killed after each test.
 */
export function useComponentUnderNucleus(o: ComponentHarnessOptions): ComponentHarness {
  let tmp: string | undefined;
  let server: IpcTestServer | undefined;
  let proc: RunningProcess | undefined;
  const startServer = async (): Promise<void> => {
    server = createIpcTestServer({ tokens: { [o.token]: o.component } });
    await server.start();
  };
  const stopProcess = (): void => {
    proc?.kill();
    proc = undefined;
  };
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), o.tmpPrefix));
    if (o.serverPer === 'file') await startServer();
  });
  afterAll(async () => {
    stopProcess();
    if (o.serverPer === 'file') await server?.stop();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(async () => {
    if (o.serverPer !== 'file') await startServer();
  });
  afterEach(async () => {
    if (o.serverPer === 'file') return;
    stopProcess();
    await server?.stop();
  });
  const defined = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`component harness: ${what} is only available inside a test`);
    return v;
  };
  return {
    root: ROOT,
    get tmp() {
      return defined(tmp, 'tmp');
    },
    get server() {
      return defined(server, 'server');
    },
    storePath(under = 'greengrass') {
      const dir = join(defined(tmp, 'tmp'), under, 'work', 'pcf-edge');
      mkdirSync(dir, { recursive: true });
      return join(dir, 'gateway.sqlite');
    },
    start(store: string): RunningProcess {
      const s = defined(server, 'server');
      proc = runNode(['--import', 'tsx', join(ROOT, o.main), '--store', store], ROOT, {
        ...s.envFor(o.token),
        HOME: defined(tmp, 'tmp'),
      });
      return proc;
    },
  };
}
