import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/** A person the issuer signs in, with the groups its access tokens carry (as Cognito's `cognito:groups`). */
export interface TestPerson {
  username: string;
  groups: string[];
  /** Access-token lifetime (s); default 300. */
  ttlSec?: number;
}

export interface TestIssuer {
  url: string;
  clientId: string;
  /** Every token request answered, by outcome (`ok` or the OAuth error code). */
  tokenRequests: string[];
  close(): Promise<void>;
}

const html = (res: ServerResponse, body: string) =>
  res
    .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    .end(`<!doctype html><html><body>${body}</body></html>`);
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return new URLSearchParams(text);
}

/**
 * A small OpenID Connect issuer for tests, shaped like Amazon Cognito's: discovery, JWKS (ES256), an authorization
 * endpoint with a sign-in form (a person types a username), a token endpoint for the authorization code grant with
 * PKCE S256 only (RFC 7636; public client, CORS for the dashboard's origin), and an end-session endpoint that
 * sends the browser back to a registered URL. Access tokens carry `client_id`, no `aud`, and `cognito:groups`.
 * Real endpoints, real signatures, real PKCE checks: the dashboard and the API cannot tell it from a real issuer.
 */
export async function startTestIssuer(o: { people: TestPerson[]; redirectUris: () => string[] }): Promise<TestIssuer> {
  const clientId = 'dashboard-client';
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-1', alg: 'ES256', use: 'sig' };
  const codes = new Map<string, { person: TestPerson; challenge: string; redirectUri: string }>();
  const tokenRequests: string[] = [];
  let url = '';
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const u = new URL(req.url ?? '/', url);
    const json = (status: number, body: unknown, extra: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...extra }).end(JSON.stringify(body));
    if (u.pathname === '/.well-known/openid-configuration')
      return json(200, {
        issuer: url,
        authorization_endpoint: `${url}/oauth2/authorize`,
        token_endpoint: `${url}/oauth2/token`,
        end_session_endpoint: `${url}/logout`,
        jwks_uri: `${url}/jwks.json`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    if (u.pathname === '/jwks.json') return json(200, { keys: [jwk] });
    if (u.pathname === '/oauth2/authorize' && req.method === 'GET') {
      const q = u.searchParams;
      if (q.get('client_id') !== clientId || !o.redirectUris().includes(q.get('redirect_uri') ?? ''))
        return json(400, { error: 'invalid_request', error_description: 'unknown client or redirect_uri' });
      if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge'))
        return json(400, { error: 'invalid_request', error_description: 'code with PKCE S256 only' });
      const hidden = ['redirect_uri', 'state', 'code_challenge']
        .map((k) => `<input type="hidden" name="${k}" value="${esc(q.get(k) ?? '')}">`)
        .join('');
      return html(
        res,
        `<form method="post" action="/oauth2/authorize">${hidden}<input id="username" name="username"><button id="sign-in" type="submit">Sign in</button></form>`,
      );
    }
    if (u.pathname === '/oauth2/authorize' && req.method === 'POST') {
      const f = await readForm(req);
      const person = o.people.find((p) => p.username === f.get('username'));
      if (!person) return html(res, '<p id="refused">unknown user</p>');
      const code = randomBytes(16).toString('hex');
      codes.set(code, { person, challenge: f.get('code_challenge')!, redirectUri: f.get('redirect_uri')! });
      const back = new URL(f.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', f.get('state') ?? '');
      return void res.writeHead(302, { location: back.toString() }).end();
    }
    if (u.pathname === '/oauth2/token') {
      const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', 'cache-control': 'no-store' };
      if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
      const f = await readForm(req);
      const grant = codes.get(f.get('code') ?? '');
      codes.delete(f.get('code') ?? ''); // a code is used once
      const verifier = f.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const fail = (error: string) => {
        tokenRequests.push(error);
        return json(400, { error }, cors);
      };
      if (f.get('grant_type') !== 'authorization_code') return fail('unsupported_grant_type');
      if (f.get('client_id') !== clientId) return fail('invalid_client');
      if (!grant || grant.redirectUri !== f.get('redirect_uri') || grant.challenge !== challenge)
        return fail('invalid_grant');
      const ttl = grant.person.ttlSec ?? 300;
      const token = await sign(privateKey, grant.person, ttl);
      tokenRequests.push('ok');
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: ttl }, cors);
    }
    if (u.pathname === '/logout') {
      const back = u.searchParams.get('logout_uri') ?? u.searchParams.get('post_logout_redirect_uri') ?? '';
      if (u.searchParams.get('client_id') !== clientId || !o.redirectUris().includes(back))
        return json(400, { error: 'invalid_request' });
      return void res.writeHead(302, { location: back }).end();
    }
    json(404, { error: 'not_found' });
  }

  function sign(key: CryptoKey, p: TestPerson, ttlSec: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      client_id: clientId,
      token_use: 'access',
      scope: 'openid email profile',
      username: p.username,
      'cognito:groups': p.groups,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-1' })
      .setIssuer(url)
      .setSubject(`sub-${p.username}`)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSec)
      .sign(key);
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    clientId,
    tokenRequests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
