import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  MessageSecurityMode,
  OPCUAClient,
  UserTokenType,
  type ClientSession,
  type UserIdentityInfo,
} from 'node-opcua-client';
import { setErrorLogger, setTraceLogger, setWarningLogger } from 'node-opcua-debug';
import { PcfError } from '@pcf-edge/core';
import type { EndpointConfig } from '../config';
import { createClient } from '../endpoint';
import { certificateFailureOf, refusedClientAction, untrustedServerAction } from '../trust-hint';

/**
 * One short OPC UA session for the command-line tools (browse, dry run): the collector's client settings and PKI
 * folder, no reconnection. Failures are one ERR_OPCUA that says what to do, in particular for certificates: a
 * server certificate this client does not trust yet (it is now in `pkiDir/rejected`: accept it with `trust`), or a
 * client certificate the server does not trust (trust `pkiDir/own/certs/client_certificate.pem` on the server).
 */
export interface ToolSession {
  session: ClientSession;
  /** The server's NamespaceArray (index → URI). */
  namespaces: string[];
  close(): Promise<void>;
}

/** node-opcua prints diagnostics with console.log; the tools keep stdout for their output (stderr with --verbose). */
export function routeOpcUaDiagnostics(verbose: boolean): void {
  const sink = verbose ? (...a: unknown[]) => process.stderr.write(`${a.map(String).join(' ')}\n`) : () => undefined;
  setWarningLogger(sink);
  setErrorLogger(sink);
  setTraceLogger(sink);
}

/** SHA-1 of the DER certificate, lowercase hex: the thumbprint OPC UA and the PKI folder names use. */
export function thumbprintOf(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex');
}

function identity(e: EndpointConfig): UserIdentityInfo {
  return e.userName === undefined
    ? { type: UserTokenType.Anonymous }
    : { type: UserTokenType.UserName, userName: e.userName, password: e.password ?? '' };
}

/** The first certificate of a DER chain (certificates are concatenated DER SEQUENCEs). */
function leafOf(der: Buffer): Buffer {
  if (der.length < 2 || der[0] !== 0x30) return der;
  const first = der[1] as number;
  if (first < 0x80) return der.subarray(0, 2 + first);
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (der[2 + i] as number);
  return der.subarray(0, 2 + n + length);
}

/**
 * The certificate the server presents for the endpoint's security mode and policy, from GetEndpoints over an
 * unsecured discovery channel (a client that refused it does not keep it); undefined when that fails too.
 */
async function serverCertificateOf(e: EndpointConfig, cm: OPCUACertificateManager): Promise<Buffer | undefined> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 100 },
    clientCertificateManager: cm,
  });
  try {
    await client.connect(e.url);
    const endpoints = await client.getEndpoints();
    const match =
      endpoints.find(
        (x) =>
          x.securityMode === MessageSecurityMode[e.securityMode] &&
          (x.securityPolicyUri ?? '').endsWith(`#${e.securityPolicy}`),
      ) ?? endpoints.find((x) => x.serverCertificate && x.serverCertificate.length > 0);
    return match?.serverCertificate ? leafOf(match.serverCertificate) : undefined;
  } catch {
    return undefined;
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

async function connectError(e: EndpointConfig, cm: OPCUACertificateManager, err: Error): Promise<PcfError> {
  const message = err.message.replace(/\s+/g, ' ').trim();
  const failure = certificateFailureOf(message);
  if (failure === 'serverUntrusted') {
    const cert = await serverCertificateOf(e, cm);
    const thumbprint = cert ? thumbprintOf(cert) : undefined;
    return new PcfError(
      'ERR_OPCUA',
      `the server certificate of ${e.url} is not trusted (thumbprint ${thumbprint ?? 'unknown'}); ` +
        untrustedServerAction(e, thumbprint),
      { endpoint: e.url, thumbprint },
      { cause: err },
    );
  }
  if (failure === 'clientRefused') {
    return new PcfError(
      'ERR_OPCUA',
      `${e.url} refused the client certificate (${message}): ${refusedClientAction(e)}`,
      { endpoint: e.url },
      { cause: err },
    );
  }
  return new PcfError('ERR_OPCUA', `cannot connect to ${e.url} (${e.securityMode}/${e.securityPolicy}): ${message}`, {
    endpoint: e.url,
  });
}

/** Connects and opens a session; throws ERR_OPCUA naming the endpoint and what failed. */
export async function openToolSession(e: EndpointConfig): Promise<ToolSession> {
  mkdirSync(e.pkiDir, { recursive: true });
  const cm = new OPCUACertificateManager({
    rootFolder: e.pkiDir,
    automaticallyAcceptUnknownCertificate: e.automaticallyAcceptUnknownCertificate,
  });
  await cm.initialize();
  const client = createClient(e, cm);
  const dispose = async (): Promise<void> => {
    await client.disconnect().catch(() => undefined);
    await cm.dispose();
  };
  try {
    await client.createDefaultCertificate();
    await client.connect(e.url);
  } catch (err) {
    await client.disconnect().catch(() => undefined);
    const error = await connectError(e, cm, err as Error);
    await cm.dispose();
    throw error;
  }
  let session: ClientSession;
  try {
    session = await client.createSession(identity(e));
  } catch (err) {
    await dispose();
    const message = (err as Error).message.replace(/\s+/g, ' ').trim();
    throw new PcfError('ERR_OPCUA', `cannot open a session on ${e.url}: ${message}`, {
      endpoint: e.url,
    });
  }
  const namespaces = await session.readNamespaceArray();
  return {
    session,
    namespaces,
    async close() {
      await session.close().catch(() => undefined);
      await dispose();
    },
  };
}
