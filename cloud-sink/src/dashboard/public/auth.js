/* pcf-edge dashboard sign-in (ADR 0198). Two ways in:
 * - people: OpenID Connect authorization code with PKCE (RFC 7636, S256) at the issuer GET /auth/oidc names
 *   (Amazon Cognito on AWS); the code is exchanged in the browser at the issuer's token endpoint, as a public client;
 * - service users: OAuth client credentials at POST /auth/token (the form, or a #client_id=…&client_secret=… fragment).
 * The access token lives in sessionStorage (this tab only, gone when it closes, kept across a reload) with its expiry;
 * no refresh token is requested or kept. A timer signs out when the token expires. */
'use strict';

const TOKEN = 'pcf-edge-token';
const EXPIRES = 'pcf-edge-expires';
const HOW = 'pcf-edge-signin';
const PKCE = 'pcf-edge-pkce';
let expiryTimer;
let oidcConfig;

const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const randomString = () => b64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = () => `${location.origin}/`;

function keepToken(token, expiresInSec, how) {
  sessionStorage.setItem(TOKEN, token);
  sessionStorage.setItem(EXPIRES, String(Date.now() + Number(expiresInSec) * 1000));
  sessionStorage.setItem(HOW, how);
}

/** The current access token, or null when there is none or it has expired. */
function currentToken() {
  const token = sessionStorage.getItem(TOKEN);
  const expires = Number(sessionStorage.getItem(EXPIRES));
  if (!token || !(expires > Date.now())) return null;
  return token;
}

/** Calls `onExpired` when the kept token expires (at once when it already has). */
function watchExpiry(onExpired) {
  clearTimeout(expiryTimer);
  const left = Number(sessionStorage.getItem(EXPIRES)) - Date.now();
  expiryTimer = setTimeout(onExpired, Math.max(0, Math.min(left, 2 ** 31 - 1)));
}

function dropToken() {
  clearTimeout(expiryTimer);
  const how = sessionStorage.getItem(HOW);
  for (const k of [TOKEN, EXPIRES, HOW, PKCE]) sessionStorage.removeItem(k);
  return how;
}

/** Who the token names, for display only (the API verifies it; the browser does not). */
function tokenSubject(token) {
  try {
    const p = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return p.email || p.username || p['cognito:username'] || p.client_id || p.sub || '';
  } catch {
    return '';
  }
}

async function clientCredentialsSignIn(clientId, secret) {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
  const res = await fetch('/auth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`sign-in failed: ${body.error_description || body.error}`);
  keepToken(body.access_token, body.expires_in, 'client');
}

/** The people's issuer from GET /auth/oidc, or null when the API has none. */
async function loadOidcConfig() {
  const res = await fetch('/auth/oidc');
  if (res.status === 204) return null;
  const body = await res.json();
  if (!res.ok) throw new Error(`${body.code}: ${body.message}`);
  oidcConfig = body;
  return body;
}

/** Sends the browser to the issuer's sign-in page; PKCE verifier and state wait in sessionStorage. */
async function oidcSignIn() {
  const verifier = randomString();
  const state = randomString();
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: oidcConfig.clientId,
    redirect_uri: redirectUri(),
    scope: oidcConfig.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${oidcConfig.authorizationEndpoint}?${q}`);
}

/**
 * Completes a sign-in when the issuer sent the browser back with ?code=…&state=… (or ?error=…): checks the state,
 * exchanges the code with the PKCE verifier, removes the query from the address bar. False when there was none.
 */
async function completeOidcSignIn() {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return false;
  history.replaceState(null, '', location.pathname);
  const pending = JSON.parse(sessionStorage.getItem(PKCE) || 'null');
  sessionStorage.removeItem(PKCE);
  if (q.has('error')) throw new Error(`sign-in failed: ${q.get('error_description') || q.get('error')}`);
  if (!pending || pending.state !== q.get('state'))
    throw new Error('sign-in failed: the answer does not belong to a sign-in started here (state); sign in again');
  const res = await fetch(oidcConfig.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: q.get('code'),
      redirect_uri: redirectUri(),
      client_id: oidcConfig.clientId,
      code_verifier: pending.verifier,
    }).toString(),
  });
  const body = await res.json();
  if (!res.ok || !body.access_token)
    throw new Error(`sign-in failed: ${body.error_description || body.error || res.status}`);
  keepToken(body.access_token, body.expires_in || 300, 'oidc');
  return true;
}

/**
 * Signs out here; a person is also signed out at the issuer (its end-session endpoint, which sends the browser back
 * here: `post_logout_redirect_uri` by OpenID Connect RP-initiated logout, `logout_uri` as Cognito names it).
 */
function endSession() {
  const how = dropToken();
  if (how !== 'oidc' || !oidcConfig || !oidcConfig.endSessionEndpoint) return false;
  const q = new URLSearchParams({
    client_id: oidcConfig.clientId,
    post_logout_redirect_uri: redirectUri(),
    logout_uri: redirectUri(),
  });
  location.assign(`${oidcConfig.endSessionEndpoint}?${q}`);
  return true;
}
