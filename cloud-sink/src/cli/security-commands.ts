import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PcfError } from '@pcf-edge/core';
import { SCOPES } from '../api/config';
import { hashSecret } from '../api/secrets';
import { ensureSigningKeys, rotateSigningKeys } from '../api/signing-keys';
import type { CloudSinkRepository } from '../store/repository';
import { GRANT_KINDS, openSecurityStore, type GrantKind } from '../store/security-store';
import { parse, required, type Options } from './args';

/**
 * Admin commands on the database the API and the consumer read: API clients, their grants, gateway keys, PACT
 * event deliveries; and rotation of the API's token-signing key file. `<group> <action> [options]`.
 */
export const SECURITY_HELP = {
  clients: `usage: npm run cloud-sink -- clients <list|add|disable|enable|events> [options] [--db <file>]

  list                                        clients with scopes, disabled flag and events endpoint (no secrets)
  add --id <id> --scopes <a,b>                creates a client; its secret is printed once (scopes: ${SCOPES.join(', ')})
  disable --id <id> | enable --id <id>        a disabled client gets no new token at once; issued ones expire (≤ 1 h)
  events --id <id> --base-url <url> --auth-client-id <id> --secret-ref <env:NAME|file:/path> [--version 2|3]
                                              where PACT events for the client go (its host and our credentials there)
  events --id <id> --clear                    removes it`,
  grants: `usage: npm run cloud-sink -- grants <list|add|remove> [options] [--db <file>]

  list [--client <id>]
  add|remove --client <id> (--product <product id> | --product-id <urn> | --company-id <urn>)
      shares footprints of one product (internal id), of a PACT product id, or of one of our company ids`,
  gateways: `usage: npm run cloud-sink -- gateways <list|register|retire> [options] [--db <file>]

  list
  register --gateway <id> --sites <a,b> (--key-file <jwk file> | --key-id <kid> --public-key <x>)
      registers a gateway's Ed25519 public key (the stream exporter logs it, or prints it with --new-signing-key)
      and the sites it may report; batches it signs are accepted from now on
  retire --key-id <kid>   refuses batches signed with the key from now on (after a rotation has drained)`,
  keys: `usage: npm run cloud-sink -- keys init|rotate --signing-keys <file> [--overlap-sec 60]

  init: creates the key set (mode 0600) unless it exists (serve does so too; for AWS paste it into the API
  settings secret as signingKeys).
  Adds a token-signing key that signs from now + overlap (every instance reloads the file within 5 s) and keeps
  the previous keys verifying until the longest token signed with them has expired.`,
  deliveries: `usage: npm run cloud-sink -- deliveries list [--client <id>] [--db <file>]

  PACT events queued for delivery to clients: status, attempts, next attempt, last error.`,
} as const;
export type SecurityGroup = keyof typeof SECURITY_HELP;
export const isSecurityGroup = (s: string): s is SecurityGroup => s in SECURITY_HELP;

const OPTIONS: Options = {
  id: { type: 'string' },
  scopes: { type: 'string' },
  'base-url': { type: 'string' },
  'auth-client-id': { type: 'string' },
  'secret-ref': { type: 'string' },
  version: { type: 'string' },
  clear: { type: 'boolean' },
  client: { type: 'string' },
  product: { type: 'string' },
  'product-id': { type: 'string' },
  'company-id': { type: 'string' },
  gateway: { type: 'string' },
  sites: { type: 'string' },
  'key-file': { type: 'string' },
  'key-id': { type: 'string' },
  'public-key': { type: 'string' },
  'signing-keys': { type: 'string' },
  'overlap-sec': { type: 'string' },
};

type Values = Record<string, string | boolean | undefined>;
const list = (command: string, v: Values, name: string) =>
  required(command, v, name)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function grantOf(v: Values): { clientId: string; kind: GrantKind; value: string } {
  const given = (
    [
      ['product', 'product'],
      ['productId', 'product-id'],
      ['companyId', 'company-id'],
    ] as const
  ).filter(([, flag]) => typeof v[flag] === 'string');
  if (given.length !== 1)
    throw new PcfError('ERR_USAGE', 'grants: give exactly one of --product, --product-id, --company-id');
  const [kind, flag] = given[0]!;
  if (!(GRANT_KINDS as readonly string[]).includes(kind)) throw new PcfError('ERR_USAGE', `grants: bad kind ${kind}`);
  return { clientId: required('grants', v, 'client'), kind, value: v[flag] as string };
}

export function parseSecurityArgs(group: SecurityGroup, argv: string[]) {
  return parse(group, argv, OPTIONS);
}

/** Runs `<group> <action>`; returns the exit code. */
export async function securityCommand(
  repo: CloudSinkRepository,
  group: SecurityGroup,
  positionals: string[],
  v: Values,
  out: (text: string) => void,
): Promise<number> {
  const action = positionals[0] ?? '';
  const usage = () => new PcfError('ERR_USAGE', `${group}: unknown action '${action}' (see --help)`);
  if (group === 'keys') {
    if (action === 'init') {
      const file = required('keys', v, 'signing-keys');
      out(ensureSigningKeys(file) ? `created ${file}` : `${file} exists: left as it is`);
      return 0;
    }
    if (action !== 'rotate') throw usage();
    const overlap = Number(v['overlap-sec'] ?? 60);
    if (!Number.isInteger(overlap) || overlap < 0) throw new PcfError('ERR_USAGE', 'keys: --overlap-sec must be ≥ 0');
    out(`new signing key ${rotateSigningKeys(required('keys', v, 'signing-keys'), overlap)} signs in ${overlap} s`);
    return 0;
  }
  const security = openSecurityStore(repo);
  switch (`${group} ${action}`) {
    case 'clients list':
      for (const c of await security.listClients())
        out(
          `${c.clientId}  ${c.scopes.join(' ')}${c.disabled ? '  DISABLED' : ''}${c.events ? `  events → ${c.events.baseUrl} (v${c.events.version ?? 2})` : ''}`,
        );
      return 0;
    case 'clients add': {
      const id = required('clients', v, 'id');
      const scopes = list('clients', v, 'scopes');
      const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
      if (bad.length > 0)
        throw new PcfError('ERR_USAGE', `clients: unknown scope ${bad.join(', ')} (${SCOPES.join(', ')})`);
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
        throw new PcfError('ERR_USAGE', 'clients: --id must be 1–64 of A-Z a-z 0-9 . _ -');
      if (await security.getClient(id)) throw new PcfError('ERR_USAGE', `clients: '${id}' exists already`);
      const secret = randomBytes(24).toString('base64url');
      await security.upsertClient({ clientId: id, secretHash: await hashSecret(secret), scopes });
      out(`client ${id} created with scopes ${scopes.join(' ')}; secret (shown once): ${secret}`);
      return 0;
    }
    case 'clients disable':
    case 'clients enable':
      await security.setClientDisabled(required('clients', v, 'id'), action === 'disable');
      out(`client ${v.id as string} ${action}d`);
      return 0;
    case 'clients events': {
      const id = required('clients', v, 'id');
      if (v.clear) {
        await security.setClientEvents(id, undefined);
        out(`client ${id}: events endpoint removed`);
        return 0;
      }
      const baseUrl = required('clients', v, 'base-url');
      const secretRef = required('clients', v, 'secret-ref');
      if (!/^https?:\/\/\S+$/.test(baseUrl)) throw new PcfError('ERR_USAGE', 'clients: --base-url must be http(s)://…');
      if (!/^(env:[A-Za-z_]\w*|file:\/.+)$/.test(secretRef))
        throw new PcfError(
          'ERR_USAGE',
          'clients: --secret-ref must be env:NAME or file:/path (never the secret itself)',
        );
      const version = v.version === undefined ? 2 : Number(v.version);
      if (version !== 2 && version !== 3) throw new PcfError('ERR_USAGE', 'clients: --version must be 2 or 3');
      await security.setClientEvents(id, {
        baseUrl: baseUrl.replace(/\/+$/, ''),
        authClientId: required('clients', v, 'auth-client-id'),
        authSecretRef: secretRef,
        version,
      });
      out(`client ${id}: PACT v${version} events go to ${baseUrl}`);
      return 0;
    }
    case 'grants list':
      for (const g of await security.listGrants(typeof v.client === 'string' ? v.client : undefined))
        out(`${g.clientId}  ${g.kind}  ${g.value}`);
      return 0;
    case 'grants add': {
      const g = grantOf(v);
      out((await security.addGrant(g)) ? `granted ${g.kind} ${g.value} to ${g.clientId}` : 'grant exists already');
      return 0;
    }
    case 'grants remove': {
      const g = grantOf(v);
      if (!(await security.removeGrant(g))) throw new PcfError('ERR_NOT_FOUND', 'no such grant');
      out(`removed ${g.kind} ${g.value} from ${g.clientId}`);
      return 0;
    }
    case 'gateways list':
      for (const k of await security.listGatewayKeys())
        out(`${k.gatewayId}  key ${k.keyId}  ${k.status}  sites ${k.sites.join(',')}  x=${k.publicKey}`);
      return 0;
    case 'gateways register': {
      const file = v['key-file'];
      let keyId: string, x: string;
      if (typeof file === 'string') {
        const jwk = JSON.parse(readFileSync(file, 'utf8')) as { kid?: unknown; x?: unknown };
        if (typeof jwk.kid !== 'string' || typeof jwk.x !== 'string')
          throw new PcfError('ERR_USAGE', `gateways: ${file} is not an Ed25519 JWK with kid and x`);
        [keyId, x] = [jwk.kid, jwk.x];
      } else [keyId, x] = [required('gateways', v, 'key-id'), required('gateways', v, 'public-key')];
      if (!/^[A-Za-z0-9_-]{43}$/.test(x))
        throw new PcfError('ERR_USAGE', 'gateways: the public key must be 32 bytes, base64url (JWK x)');
      const gatewayId = required('gateways', v, 'gateway');
      const sites = list('gateways', v, 'sites');
      await security.addGatewayKey({ keyId, gatewayId, publicKey: x, sites });
      out(`gateway ${gatewayId} key ${keyId} registered for ${sites.join(', ')}`);
      return 0;
    }
    case 'gateways retire': {
      const keyId = required('gateways', v, 'key-id');
      if (!(await security.retireGatewayKey(keyId)))
        throw new PcfError('ERR_NOT_FOUND', `no active gateway key '${keyId}'`);
      out(`gateway key ${keyId} retired`);
      return 0;
    }
    case 'deliveries list':
      for (const d of await security.listDeliveries(typeof v.client === 'string' ? v.client : undefined))
        out(
          `${d.id}  ${d.clientId}  ${d.type}  ${d.status}  attempts ${d.attempts}  next ${new Date(d.nextAttemptMs).toISOString()}${d.lastError ? `  last error: ${d.lastError}` : ''}`,
        );
      return 0;
    default:
      throw usage();
  }
}
