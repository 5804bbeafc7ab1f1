import { newSigningKey, openKeyRing } from '../src/api/signing-keys';
import { createTokenService } from '../src/api/tokens';

/** The token service alone: a verified token is kept, but never past its expiry, and never for another string. */
describe('access token verification', () => {
  const t0 = Date.parse('2026-12-07T10:00:00Z');
  let clock = t0;
  const keys = [newSigningKey(0, Math.floor(t0 / 1000))];
  const service = () =>
    createTokenService({
      keys: openKeyRing({ keys }),
      issuer: 'urn:pcf-edge:api',
      audience: 'pcf-edge-api',
      ttlSec: 60,
      now: () => clock,
    });

  it('answers a repeated token as the first time until it expires, then expired', async () => {
    clock = t0;
    const tokens = service();
    const { token } = await tokens.issue('partner', ['pact']);
    const first = await tokens.verify(token);
    expect(first).toEqual({
      ok: true,
      principal: { clientId: 'partner', scopes: ['pact'], issuer: 'local', expiresAtMs: t0 + 60_000 },
    });
    clock = t0 + 64_000; // within the 5 s clock tolerance
    expect(await tokens.verify(token)).toEqual(first);
    clock = t0 + 66_000;
    expect(await tokens.verify(token)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses a tampered copy of a token it has verified', async () => {
    clock = t0;
    const tokens = service();
    const { token } = await tokens.issue('partner', ['pact']);
    expect((await tokens.verify(token)).ok).toBe(true);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'pact admin' })).toString('base64url')}.${sig}`;
    expect(await tokens.verify(forged)).toMatchObject({ ok: false, reason: 'invalid' });
    const flipped = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await tokens.verify(flipped)).toMatchObject({ ok: false, reason: 'invalid' });
    // another service (instance) sharing the keys verifies the same token
    expect((await service().verify(token)).ok).toBe(true);
  });
});
