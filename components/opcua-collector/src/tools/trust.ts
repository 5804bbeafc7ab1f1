import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { PcfError } from '@pcf-edge/core';
import { thumbprintOf } from './session';

/**
 * The certificates in a collector's `pkiDir` (node-opcua's layout): `own/certs` holds the client certificate the
 * servers must trust, `trusted/certs` the server certificates this client trusts, `rejected` those it refused
 * (a server the client met for the first time lands there). Moving one between trusted and rejected goes through
 * node-opcua's certificate manager, which a running collector watches, so it applies without a restart.
 */
export type CertificateStore = 'own' | 'trusted' | 'rejected';

export interface CertificateInfo {
  store: CertificateStore;
  /** SHA-1 of the DER certificate, lowercase hex. */
  thumbprint: string;
  subject: string;
  validFrom: string;
  validTo: string;
  file: string;
}

const FOLDERS: readonly [CertificateStore, string][] = [
  ['own', join('own', 'certs')],
  ['trusted', join('trusted', 'certs')],
  ['rejected', 'rejected'],
];

function assertPkiDir(pkiDir: string): void {
  if (!existsSync(join(pkiDir, 'own')))
    throw new PcfError(
      'ERR_NOT_FOUND',
      `${pkiDir} is not a collector PKI folder (no own/ in it): give the endpoint's pkiDir, which the collector creates on its first start`,
      { pkiDir },
    );
}

function readCertificate(store: CertificateStore, file: string): CertificateInfo | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(file));
  } catch {
    return undefined; // not a certificate (a key, a lock file)
  }
  return {
    store,
    thumbprint: thumbprintOf(cert.raw),
    subject: cert.subject.replaceAll('\n', ', '),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    file,
  };
}

export function listCertificates(pkiDir: string): CertificateInfo[] {
  assertPkiDir(pkiDir);
  const out: CertificateInfo[] = [];
  for (const [store, sub] of FOLDERS) {
    const dir = join(pkiDir, sub);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!/\.(pem|der|crt)$/i.test(name)) continue;
      const info = readCertificate(store, join(dir, name));
      if (info) out.push(info);
    }
  }
  return out;
}

/** A thumbprint as typed: hex, colons and spaces ignored, a unique prefix of at least 8 digits. */
function normalise(text: string, option: string): string {
  const t = text.toLowerCase().replace(/[\s:]/g, '');
  if (!/^[0-9a-f]{8,40}$/.test(t))
    throw new PcfError(
      'ERR_USAGE',
      `${option}: '${text}' is not a certificate thumbprint (40 hex digits as 'trust --list' prints; a unique prefix of 8 or more will do)`,
    );
  return t;
}

function find(pkiDir: string, from: CertificateStore, to: CertificateStore, text: string, option: string) {
  const t = normalise(text, option);
  const all = listCertificates(pkiDir);
  const done = all.filter((c) => c.store === to && c.thumbprint.startsWith(t));
  const hits = all.filter((c) => c.store === from && c.thumbprint.startsWith(t));
  if (hits.length > 1)
    throw new PcfError(
      'ERR_USAGE',
      `${option}: ${text} matches ${hits.length} certificates in ${from}/: ${hits.map((c) => c.thumbprint).join(', ')}`,
    );
  if (hits.length === 0 && done.length === 0) {
    const there = all.filter((c) => c.store === from).map((c) => `${c.thumbprint} (${c.subject})`);
    throw new PcfError(
      'ERR_NOT_FOUND',
      `${option}: no certificate with thumbprint ${text} in ${join(pkiDir, from === 'trusted' ? 'trusted/certs' : from)} (there: ${there.join('; ') || 'none'})`,
      { pkiDir, thumbprint: text },
    );
  }
  return { cert: hits[0], already: done[0] };
}

async function move(pkiDir: string, cert: CertificateInfo, to: 'trusted' | 'rejected'): Promise<void> {
  const cm = new OPCUACertificateManager({ rootFolder: pkiDir });
  await cm.initialize();
  try {
    const der = new X509Certificate(readFileSync(cert.file)).raw;
    if (to === 'trusted') await cm.trustCertificate(der);
    else await cm.rejectCertificate(der);
  } finally {
    await cm.dispose();
  }
}

export interface TrustChange {
  certificate: CertificateInfo;
  /** False when it already was where it was asked to go. */
  changed: boolean;
}

/** Moves a rejected server certificate to the trusted ones; a certificate already trusted is left as it is. */
export async function acceptCertificate(pkiDir: string, thumbprint: string): Promise<TrustChange> {
  const { cert, already } = find(pkiDir, 'rejected', 'trusted', thumbprint, '--accept');
  if (!cert) return { certificate: already as CertificateInfo, changed: false };
  await move(pkiDir, cert, 'trusted');
  const now = listCertificates(pkiDir).find((c) => c.store === 'trusted' && c.thumbprint === cert.thumbprint);
  if (!now) throw new PcfError('ERR_OPCUA', `${cert.file} could not be moved to ${join(pkiDir, 'trusted/certs')}`);
  return { certificate: now, changed: true };
}

/** Moves a trusted server certificate to the rejected ones (the server is no longer trusted). */
export async function rejectCertificate(pkiDir: string, thumbprint: string): Promise<TrustChange> {
  const { cert, already } = find(pkiDir, 'trusted', 'rejected', thumbprint, '--reject');
  if (!cert) return { certificate: already as CertificateInfo, changed: false };
  await move(pkiDir, cert, 'rejected');
  const now = listCertificates(pkiDir).find((c) => c.store === 'rejected' && c.thumbprint === cert.thumbprint);
  if (!now) throw new PcfError('ERR_OPCUA', `${cert.file} could not be moved to ${join(pkiDir, 'rejected')}`);
  return { certificate: now, changed: true };
}

export function formatCertificates(pkiDir: string, list: readonly CertificateInfo[]): string {
  const lines = [`PKI folder ${pkiDir}`];
  for (const store of ['own', 'trusted', 'rejected'] as const) {
    const title = {
      own: 'own (the client certificate: trust it on the OPC UA servers)',
      trusted: 'trusted (server certificates this collector accepts)',
      rejected: "rejected (server certificates refused; accept one with 'trust --accept <thumbprint>')",
    }[store];
    lines.push(`${title}:`);
    const certs = list.filter((c) => c.store === store);
    for (const c of certs)
      lines.push(`  ${c.thumbprint}  ${c.subject}  valid ${c.validFrom} → ${c.validTo}  ${c.file}`);
    if (certs.length === 0) lines.push('  (none)');
  }
  return lines.join('\n');
}
