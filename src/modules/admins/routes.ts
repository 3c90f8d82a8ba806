import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { clientOf } from '../../http/client.js';
import { Email, Envelope, errors, MessageEnvelope, Name, Password, Uuid } from '../../http/schemas.js';
import { currentAdmin } from '../auth/access.js';
import { ADMIN_PERMISSIONS } from './permissions.js';
import { AdminSchema } from './present.js';
import type { AdminsService } from './service.js';

const AdminRef = Type.Ref(AdminSchema);
const Permissions = Type.Array(Type.Union(ADMIN_PERMISSIONS.map((p) => Type.Literal(p))), { maxItems: 50 });
const AdminIdParams = Type.Object({ adminId: Uuid });
const notFound = { messages: { notFound: 'Admin not found' } };

export const adminRoutes: FastifyPluginAsyncTypebox<{ admins: AdminsService }> = async (app, { admins }) => {
  app.post(
    '/api/v1/admin/login',
    {
      config: { credential: true },
      schema: {
        tags: ['admins'],
        summary: "Admin login: returns an admin access token (refused on user endpoints) and the session's refresh token",
        body: Type.Object({ email: Email, password: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
        response: {
          200: Envelope({
            token: Type.String(),
            refreshToken: Type.String({ description: 'POST /api/v1/admin/refresh trades it for a new pair' }),
            expiresIn: Type.Integer({ description: 'seconds until the access token expires' }),
            data: Type.Object({ token: Type.String(), refreshToken: Type.String(), expiresIn: Type.Integer(), admin: AdminRef }),
          }),
          ...errors(400, 401, 422, 429),
        },
      },
    },
    async (request) => {
      const session = await admins.login(request.body.email, request.body.password, clientOf(request));
      return {
        status: true as const,
        message: 'Login successful',
        token: session.token,
        refreshToken: session.refreshToken,
        expiresIn: session.expiresIn,
        data: session,
      };
    },
  );

  app.post(
    '/api/v1/admin/admins',
    {
      config: { auth: 'admin', permission: 'superadmin' },
      schema: {
        tags: ['admins'],
        summary: 'Create an admin (superadmin only)',
        body: Type.Object(
          {
            email: Email,
            password: Password,
            name: Name({ maxLength: 100 }),
            permissions: Type.Optional(Permissions),
            role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('superadmin')])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Envelope({ data: AdminRef }), ...errors(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const admin = await admins.create(currentAdmin(request), { ...request.body, permissions: request.body.permissions ?? [] });
      return reply.code(201).send({ status: true, message: 'Admin created successfully', data: admin });
    },
  );

  app.get(
    '/api/v1/admin/admins',
    {
      config: { auth: 'admin', permission: 'superadmin' },
      schema: {
        tags: ['admins'],
        summary: 'List admins (superadmin only)',
        response: { 200: Envelope({ data: Type.Array(AdminRef) }), ...errors(401, 403) },
      },
    },
    async () => ({ status: true as const, message: 'Admins fetched successfully', data: await admins.list() }),
  );

  app.get(
    '/api/v1/admin/admins/:adminId',
    {
      config: { auth: 'admin', permission: 'any', ...notFound },
      schema: {
        tags: ['admins'],
        summary: 'One admin (a superadmin reads anyone, an admin only themself)',
        params: AdminIdParams,
        response: { 200: Envelope({ data: AdminRef }), ...errors(401, 403, 404) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Admin fetched successfully',
      data: await admins.get(currentAdmin(request), request.params.adminId),
    }),
  );

  app.delete(
    '/api/v1/admin/admins/:adminId',
    {
      config: { auth: 'admin', permission: 'superadmin', ...notFound },
      schema: {
        tags: ['admins'],
        summary: 'Delete an admin (superadmin only; never the last superadmin)',
        params: AdminIdParams,
        response: { 200: MessageEnvelope, ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      await admins.delete(currentAdmin(request), request.params.adminId);
      return { status: true as const, message: 'Admin deleted successfully' };
    },
  );

  app.put(
    '/api/v1/admin/admins/:adminId/permissions',
    {
      config: { auth: 'admin', permission: 'superadmin', ...notFound },
      schema: {
        tags: ['admins'],
        summary: "Replace an admin's permissions (superadmin only; revokes their tokens)",
        params: AdminIdParams,
        body: Type.Object({ permissions: Permissions }, { additionalProperties: false }),
        response: { 200: Envelope({ data: AdminRef }), ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Admin permissions updated successfully',
      data: await admins.setPermissions(currentAdmin(request), request.params.adminId, request.body.permissions),
    }),
  );
};
