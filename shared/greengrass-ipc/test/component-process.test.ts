import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createIpcTestServer, type IpcTestServer } from '../../../test-support/greengrass-ipc-server/server';
import { RESTART_EXIT_CODE } from '../src';
import { waitFor } from './helpers';

/** A real component process (tsx) with runWithConfig's default restart and exit, against the IPC test server. */
const COMPONENT = 'com.pcfedge.Fixture';
const TOKEN = 'process-token';
const TSX = join(__dirname, '../../../node_modules/.bin/tsx');
let server: IpcTestServer;
let child: ChildProcess | undefined;

function startComponent(): { exited: Promise<number | null>; stdout: string[] } {
  const stdout: string[] = [];
  const c = spawn(TSX, [join(__dirname, 'fixtures/component.ts')], {
    env: { ...process.env, ...server.envFor(TOKEN) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = c;
  c.stdout.on('data', (d: Buffer) => stdout.push(...d.toString().split('\n').filter(Boolean)));
  c.stderr.resume();
  const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
  return { exited, stdout };
}

beforeEach(async () => {
  server = createIpcTestServer({ tokens: { [TOKEN]: COMPONENT } });
  await server.start();
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await server.stop();
});

describe('a component process under the IPC test server', () => {
  it('runs, applies a live change, and exits with the restart code when a restart-only key changes', async () => {
    server.setConfiguration(COMPONENT, { site: 'plant-1', storePath: '/tmp/a.db' });
    const { exited, stdout } = startComponent();
    await waitFor(() => server.states.length === 1, 'the RUNNING report', 60_000);
    expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);
    server.updateConfiguration(COMPONENT, ['pollIntervalMs'], 500);
    await waitFor(() => stdout.length === 2, 'the live change', 30_000);
    expect(JSON.parse(stdout[1] as string)).toEqual({ site: 'plant-1', storePath: '/tmp/a.db', pollIntervalMs: 500 });
    server.updateConfiguration(COMPONENT, ['storePath'], '/tmp/b.db');
    expect(await exited).toBe(RESTART_EXIT_CODE);
    expect(stdout).toHaveLength(2);
  }, 90_000);

  it('reports ERRORED and exits 1 when its configuration is invalid at start', async () => {
    server.setConfiguration(COMPONENT, { site: '' });
    const { exited, stdout } = startComponent();
    expect(await exited).toBe(1);
    expect(server.states).toEqual([{ component: COMPONENT, state: 'ERRORED' }]);
    expect(stdout).toEqual([]);
  }, 90_000);
});
