import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SecurityStore } from '../store/security-store';
import { GRANT_KINDS } from '../store/security-store';
import { requireScope } from './auth';
import { SCOPES } from './config';
import { HttpError } from './errors';
import { hashSecret } from './secrets';
import type { GrantCache } from './visibility';
import { randomBytes } from 'node:crypto';

const clientId = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' };
const EVENTS = {
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl', 'authClientId', 'authSecretRef'],
  properties: {
    baseUrl: { type: 'string', pattern: '^https?://[^\\s]+$', maxLength: 500 },
    authClientId: { type: 'string', minLength: 1, maxLength: 200 },
    authSecretRef: { type: 'string', pattern: '^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$', maxLength: 500 },
    version: { enum: [2, 3] },
  },
};
const GRANT = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'kind', 'value'],
  properties: { clientId, kind: { enum: [...GRANT_KINDS] }, value: { type: 'string', minLength: 1, maxLength: 500 } },
};

/** The view of a client an admin gets: never its secret hash. */
const publicClient = (c: Awaited<ReturnType<SecurityStore['getClient']>>) =>
  c && {
    clientId: c.clientId,
    scopes: c.scopes,
    disabled: c.disabled,
    events: c.events ?? null,
    createdAt: new Date(c.createdAtMs).toISOString(),
  };

/**
 * Admin API under /api/admin (scope `admin`): clients (created with a generated secret shown once, disabled,
 * re-enabled, events endpoint) and grants. Every change is logged with the admin's client id.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: { security: SecurityStore; grants: GrantCache }): void {
  const admin = requireScope('admin');
  const { security } = deps;
  const audit = (req: FastifyRequest, what: string, fields: Record<string, unknown>) =>
    req.log.info({ admin: req.principal!.clientId, ...fields }, what);

  app.get('/api/admin/clients', { preHandler: admin }, async () => ({
    clients: (await security.listClients()).map(publicClient),
  }));

  app.post(
    '/api/admin/clients',
    {
      preHandler: admin,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['clientId', 'scopes'],
          properties: {
            clientId,
            scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SCOPES] } },
            events: EVENTS,
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { clientId: string; scopes: string[]; events?: never };
      if (await security.getClient(b.clientId))
        throw new HttpError(409, 'Conflict', `client '${b.clientId}' exists already`);
      const secret = randomBytes(24).toString('base64url');
      await security.upsertClient({
        clientId: b.clientId,
        secretHash: await hashSecret(secret),
        scopes: b.scopes,
        ...(b.events ? { events: b.events } : {}),
      });
      audit(req, 'API client created', { clientId: b.clientId, scopes: b.scopes });
      return reply
        .status(201)
        .header('cache-control', 'no-store')
        .send({ clientId: b.clientId, clientSecret: secret, scopes: b.scopes });
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(`/api/admin/clients/:clientId/${action}`, { preHandler: admin }, async (req) => {
      const id = (req.params as { clientId: string }).clientId;
      await security.setClientDisabled(id, disabled);
      deps.grants.forget(id);
      audit(req, disabled ? 'API client disabled' : 'API client enabled', { clientId: id });
      return publicClient(await security.getClient(id));
    });
  }

  app.put('/api/admin/clients/:clientId/events', { preHandler: admin, schema: { body: EVENTS } }, async (req) => {
    const id = (req.params as { clientId: string }).clientId;
    await security.setClientEvents(id, req.body as never);
    audit(req, 'API client events endpoint set', { clientId: id });
    return publicClient(await security.getClient(id));
  });

  // gateway signing keys (ADR 0193): the public key and the sites the gateway may report
  app.get('/api/admin/gateways', { preHandler: admin }, async () => ({ keys: await security.listGatewayKeys() }));
  app.post(
    '/api/admin/gateways',
    {
      preHandler: admin,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['gatewayId', 'keyId', 'publicKey', 'sites'],
          properties: {
            gatewayId: { type: 'string', minLength: 1, maxLength: 128 },
            keyId: { type: 'string', minLength: 1, maxLength: 128 },
            publicKey: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
            sites: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', minLength: 1, maxLength: 128 },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const k = req.body as Parameters<SecurityStore['addGatewayKey']>[0];
      if (await security.getGatewayKey(k.keyId))
        throw new HttpError(409, 'Conflict', `gateway key '${k.keyId}' exists already`);
      await security.addGatewayKey(k);
      audit(req, 'gateway key registered', { gatewayId: k.gatewayId, keyId: k.keyId, sites: k.sites });
      return reply.status(201).send(await security.getGatewayKey(k.keyId));
    },
  );
  app.post('/api/admin/gateways/:keyId/retire', { preHandler: admin }, async (req) => {
    const keyId = (req.params as { keyId: string }).keyId;
    if (!(await security.retireGatewayKey(keyId)))
      throw new HttpError(404, 'NotFound', `no active gateway key '${keyId}'`);
    audit(req, 'gateway key retired', { keyId });
    return security.getGatewayKey(keyId);
  });

  app.get('/api/admin/grants', { preHandler: admin }, async (req) => {
    const q = req.query as { clientId?: unknown };
    return { grants: await security.listGrants(typeof q.clientId === 'string' ? q.clientId : undefined) };
  });
  app.post('/api/admin/grants', { preHandler: admin, schema: { body: GRANT } }, async (req, reply) => {
    const g = req.body as Parameters<SecurityStore['addGrant']>[0];
    const added = await security.addGrant(g);
    deps.grants.forget(g.clientId);
    audit(req, 'grant added', { ...g, added });
    return reply.status(added ? 201 : 200).send({ grant: g, added });
  });
  app.delete('/api/admin/grants', { preHandler: admin, schema: { body: GRANT } }, async (req) => {
    const g = req.body as Parameters<SecurityStore['removeGrant']>[0];
    const removed = await security.removeGrant(g);
    deps.grants.forget(g.clientId);
    audit(req, 'grant removed', { ...g, removed });
    if (!removed) throw new HttpError(404, 'NotFound', 'no such grant');
    return { grant: g, removed };
  });
}
