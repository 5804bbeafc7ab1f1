import { join, resolve } from 'node:path';
import type { EndpointConfig } from './config';

/**
 * What to do when a connection fails over a certificate, for the collector's log and the tools' errors
 * (docs/deploy.md, "OPC UA: finding nodes and trusting certificates"). node-opcua reports a server certificate
 * this client does not trust as a failed verification (and puts it in `pkiDir/rejected`), and a client
 * certificate the server does not trust as BadSecurityChecksFailed or a BadCertificate… status.
 */
export type CertificateFailure = 'serverUntrusted' | 'clientRefused';

export function certificateFailureOf(message: string): CertificateFailure | undefined {
  if (/verification failed/i.test(message)) return 'serverUntrusted';
  if (/BadSecurityChecksFailed|BadCertificate/i.test(message)) return 'clientRefused';
  return undefined;
}

/** The server certificate is not trusted: where it went and the command that trusts it. */
export function untrustedServerAction(e: EndpointConfig, thumbprint?: string): string {
  const pki = resolve(e.pkiDir);
  const accept = `opcua-collector trust --pki-dir ${pki} --accept`;
  return (
    `it was put in ${join(pki, 'rejected')}. Check that it is your server's, then trust it: ` +
    (thumbprint === undefined ? `${accept} <thumbprint> (trust --list shows it)` : `${accept} ${thumbprint}`)
  );
}

/** The server refused the client certificate: the file to trust on the server. */
export function refusedClientAction(e: EndpointConfig): string {
  return (
    `trust ${join(resolve(e.pkiDir), 'own', 'certs', 'client_certificate.pem')} on the server ` +
    `(docs/deploy.md, "OPC UA: finding nodes and trusting certificates")`
  );
}

/** What to do after a failed connect with this message, or undefined when it was not about certificates. */
export function trustActionOf(e: EndpointConfig, message: string): string | undefined {
  const failure = certificateFailureOf(message);
  if (failure === 'serverUntrusted') return `the server certificate is not trusted; ${untrustedServerAction(e)}`;
  if (failure === 'clientRefused') return `the server refused the client certificate: ${refusedClientAction(e)}`;
  return undefined;
}
