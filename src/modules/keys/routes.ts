import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/index.js';
import { Envelope, errors } from '../../http/schemas.js';
import type { AuditService } from '../audit/service.js';
import { currentAdmin } from '../auth/access.js';
import type { SigningKeys } from './service.js';

const Jwk = Type.Object({
  kty: Type.String(),
  crv: Type.String(),
  x: Type.String(),
  kid: Type.String(),
  alg: Type.Literal('EdDSA'),
  use: Type.Literal('sig'),
});

/** How long a verifier may keep the key set: a new key is announced this long before... nothing; see DECISIONS "Signing keys". */
export const JWKS_MAX_AGE_SECONDS = 300;

/** The public keys (/.well-known/jwks.json) and their rotation. */
export const keyRoutes: FastifyPluginAsyncTypebox<{ keys: SigningKeys; db: Db; audit: AuditService }> = async (
  app,
  { keys, db, audit },
) => {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['auth'],
        summary: 'The public keys that verify access tokens (EdDSA, by kid); no private key is ever here',
        response: { 200: Type.Object({ keys: Type.Array(Jwk) }) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      // another service's browser code may fetch it too
      reply.header('access-control-allow-origin', '*');
      reply.header('cross-origin-resource-policy', 'cross-origin');
      return { keys: await keys.jwks() };
    },
  );

  app.post(
    '/api/v1/admin/keys/rotate',
    {
      config: { auth: 'admin', permission: 'superadmin' },
      schema: {
        tags: ['admins'],
        summary: 'Make a new signing key (superadmin, audited); the previous one verifies until its last token has expired',
        response: { 200: Envelope({ data: Type.Object({ kid: Type.String() }) }), ...errors(401, 403) },
      },
    },
    async (request) => {
      const admin = currentAdmin(request);
      const rotated = await db.transaction(async (tx) => {
        const made = await keys.rotate(tx);
        await audit.record(tx, { admin, action: 'keys.rotate', targetType: 'signing_key', targetId: made.kid, ip: admin.ip, detail: {} });
        return made;
      });
      return { status: true as const, message: 'A new signing key signs from now on', data: rotated };
    },
  );
};
