import { createServer } from 'node:net';
import {
  DataType,
  VariantArrayType,
  OPCUACertificateManager,
  OPCUAServer,
  StatusCode,
  StatusCodes,
  type UAVariable,
} from 'node-opcua';

/** A real node-opcua server for tests: variables addressed as `ns=<i>;s=<name>` in namespace TEST_NS. */
export const TEST_NS = 'urn:pcf-edge:test:meters';

export interface VariableSpec {
  name: string;
  dataType: 'Double' | 'UInt32' | 'UInt64' | 'Int64' | 'Int32' | 'Float' | 'String' | 'Boolean';
  value: unknown;
}

export interface TestServer {
  port: number;
  url: string;
  /** Namespace index of TEST_NS in the running server. */
  nsIndex: number;
  set(name: string, value: unknown, status?: StatusCode): void;
  /** Monitored items per subscription, over every session. */
  subscriptionSizes(): number[];
  /** Closes every session server-side (deleting subscriptions), as an administrator or a watchdog would. */
  closeSessions(): void;
  stop(): Promise<void>;
  /** Starts again on the same port with the same variables (current values), optionally with extra namespaces first. */
  restart(opts?: { extraNamespacesFirst?: string[] }): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startTestServer(
  pkiDir: string,
  variables: VariableSpec[],
  opts: { users?: Record<string, string>; port?: number } = {},
): Promise<TestServer> {
  const port = opts.port ?? (await freePort());
  const values = new Map<string, { dataType: VariableSpec['dataType']; value: unknown; status: StatusCode }>();
  for (const v of variables) values.set(v.name, { dataType: v.dataType, value: v.value, status: StatusCodes.Good });
  let server: OPCUAServer | undefined;
  let nodes = new Map<string, UAVariable>();
  let nsIndex = 0;

  async function boot(extra: string[]): Promise<void> {
    const users = opts.users;
    server = new OPCUAServer({
      port,
      resourcePath: '/UA/test',
      serverCertificateManager: new OPCUACertificateManager({
        rootFolder: pkiDir,
        automaticallyAcceptUnknownCertificate: true,
      }),
      allowAnonymous: users === undefined,
      userManager: users ? { isValidUser: (u: string, p: string) => users[u] === p } : undefined,
    });
    await server.initialize();
    const addressSpace = server.engine.addressSpace!;
    for (const uri of extra) addressSpace.registerNamespace(uri);
    const ns = addressSpace.registerNamespace(TEST_NS);
    nsIndex = ns.index;
    nodes = new Map();
    for (const [name, v] of values) {
      const node = ns.addVariable({
        organizedBy: addressSpace.rootFolder.objects,
        browseName: name,
        nodeId: `s=${name}`,
        dataType: v.dataType,
        minimumSamplingInterval: 50,
      });
      node.setValueFromSource(
        { dataType: DataType[v.dataType], arrayType: VariantArrayType.Scalar, value: v.value },
        v.status,
      );
      nodes.set(name, node);
    }
    await server.start();
  }

  await boot([]);
  return {
    port,
    url: `opc.tcp://127.0.0.1:${port}/UA/test`,
    get nsIndex() {
      return nsIndex;
    },
    set(name, value, status = StatusCodes.Good) {
      const v = values.get(name);
      const node = nodes.get(name);
      if (!v || !node) throw new Error(`no test variable ${name}`);
      v.value = value;
      v.status = status;
      node.setValueFromSource(
        { dataType: DataType[v.dataType], arrayType: VariantArrayType.Scalar, value },
        status,
        new Date(),
      );
    },
    subscriptionSizes() {
      const sessions = server?.engine.getSessions() ?? [];
      return sessions.flatMap((s) =>
        (
          s as unknown as { publishEngine: { subscriptions: { monitoredItemCount: number }[] } }
        ).publishEngine.subscriptions.map((x) => x.monitoredItemCount),
      );
    },
    closeSessions() {
      for (const s of server?.engine.getSessions() ?? [])
        server?.engine.closeSession(s.authenticationToken, true, 'Forcing');
    },
    async stop() {
      await server?.shutdown(0);
      server = undefined;
    },
    async restart(o = {}) {
      await boot(o.extraNamespacesFirst ?? []);
    },
  };
}
