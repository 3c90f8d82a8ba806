import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Email, Envelope, errors, MessageEnvelope, Password, Uuid } from '../../http/schemas.js';
import { allows } from '../admins/permissions.js';
import { currentAdmin } from '../auth/access.js';
import { SubscriptionSchema } from '../subscriptions/routes.js';
import { UserSchema } from '../users/present.js';
import type { AdminUsersService } from './service.js';

const UserRef = Type.Ref(UserSchema);
const UserIdParams = Type.Object({ userId: Uuid });
const notFound = { messages: { notFound: 'User not found' } };
const MAX_LIMIT = 100;
/** What an admin without view_user_details learns from a status change: no more than it asked to change. */
const UserStatusOnly = Type.Object(
  { id: Uuid, status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]) },
  { additionalProperties: false, title: 'UserStatus' },
);

export const adminUserRoutes: FastifyPluginAsyncTypebox<{ adminUsers: AdminUsersService }> = async (app, { adminUsers }) => {
  app.get(
    '/api/v1/admin/users',
    {
      config: { auth: 'admin', permission: 'view_user_details' },
      schema: {
        tags: ['admin: users'],
        summary: 'List users, newest first: page/limit, or the opaque cursor from meta.next_cursor for deep pages',
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
          search: Type.Optional(
            Type.String({
              maxLength: 254,
              description:
                'the beginning of a word (or words, in order) of the email or name, case-insensitive: "wang.42" finds alan.wang.4242@acme.io; a term beginning with punctuation ("@acme") matches anywhere',
            }),
          ),
          status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])),
          role: Type.Optional(Type.Union([Type.Literal('parent'), Type.Literal('child')])),
          cursor: Type.Optional(Type.String({ maxLength: 512 })),
        }),
        response: {
          200: Envelope({
            data: Type.Array(UserRef),
            meta: Type.Object({
              page: Type.Union([Type.Integer(), Type.Null()]),
              limit: Type.Integer(),
              total: Type.Union([Type.Integer(), Type.Null()], {
                description:
                  'the number of matches; null when paging by cursor, and when there are more than 1,000 (walk them with next_cursor)',
              }),
              next_cursor: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => ({ status: true as const, message: 'Users fetched successfully', ...(await adminUsers.list(request.query)) }),
  );

  app.get(
    '/api/v1/admin/users/:userId',
    {
      config: { auth: 'admin', permission: 'view_user_details', ...notFound },
      schema: {
        tags: ['admin: users'],
        summary: 'Complete details of a user',
        params: UserIdParams,
        response: {
          200: Envelope({
            data: Type.Object({
              user: UserRef,
              parent: Type.Union([UserRef, Type.Null()]),
              children: Type.Array(UserRef),
              subscription: Type.Union([Type.Ref(SubscriptionSchema), Type.Null()], {
                description: "the live subscription (a child's is its parent's)",
              }),
              organisations: Type.Object({
                created: Type.Integer(),
                member: Type.Integer(),
                items: Type.Array(
                  Type.Object({
                    orgId: Type.String(),
                    name: Type.String(),
                    description: Type.Union([Type.String(), Type.Null()]),
                    creator: Type.Boolean({ description: 'the user created it' }),
                    members: Type.Integer(),
                    createdAt: Type.String({ format: 'date-time' }),
                  }),
                  { description: 'the newest 50 organisations the user created or belongs to' },
                ),
              }),
            }),
          }),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'User details fetched successfully',
      data: await adminUsers.details(request.params.userId),
    }),
  );

  for (const action of ['deactivate', 'reactivate'] as const) {
    app.post(
      `/api/v1/admin/users/:userId/${action}`,
      {
        config: { auth: 'admin', permission: 'manage_users', ...notFound },
        schema: {
          tags: ['admin: users'],
          summary:
            action === 'deactivate'
              ? 'Deactivate a user: login refused, every token revoked at once'
              : 'Reactivate a user: login works again (old tokens stay revoked)',
          params: UserIdParams,
          response: {
            200: Envelope({
              data: Type.Union([UserRef, UserStatusOnly], {
                description: 'the whole user with view_user_details, otherwise only id and status',
              }),
            }),
            ...errors(401, 403, 404),
          },
        },
      },
      async (request) => {
        const admin = currentAdmin(request);
        const user = await adminUsers[action](admin, request.params.userId);
        return {
          status: true as const,
          message: action === 'deactivate' ? 'User deactivated successfully' : 'User reactivated successfully',
          data: allows(admin, 'view_user_details') ? user : { id: user.id, status: user.status },
        };
      },
    );
  }

  app.delete(
    '/api/v1/admin/users/:userId',
    {
      config: { auth: 'admin', permission: 'manage_users', ...notFound },
      schema: {
        tags: ['admin: users'],
        summary: 'Delete a user and what it owns (its child users, memberships)',
        params: UserIdParams,
        response: { 200: MessageEnvelope, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      await adminUsers.delete(currentAdmin(request), request.params.userId);
      return { status: true as const, message: 'User deleted successfully' };
    },
  );

  app.post(
    '/api/v1/admin/users/password-reset-link',
    {
      config: { auth: 'admin', permission: 'manage_users' },
      schema: {
        tags: ['admin: users'],
        summary: 'Email the user a single-use link to choose a new password (APP_URL/reset-password?token=…)',
        body: Type.Object({ email: Email }, { additionalProperties: false }),
        response: { 200: MessageEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      await adminUsers.sendResetLink(currentAdmin(request), request.body.email);
      return { status: true as const, message: 'A password reset link has been sent to the user' };
    },
  );

  app.post(
    '/api/v1/auth/reset-password-link',
    {
      config: { credential: true },
      schema: {
        tags: ['auth'],
        summary: 'The user sets a new password with the token from an admin-sent reset link (no bearer token)',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }), newPassword: Password }, { additionalProperties: false }),
        response: { 200: MessageEnvelope, ...errors(400, 422, 429) },
      },
    },
    async (request) => {
      await adminUsers.resetWithLink(request.body.token, request.body.newPassword);
      return { status: true as const, message: 'Password has been reset successfully' };
    },
  );
};
