import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { Email, Envelope, errors, MessageEnvelope, Name } from '../../http/schemas.js';
import { currentUser } from '../auth/access.js';
import { REVERT_MESSAGES } from './email-revert.js';
import { CHILD_PERMISSIONS } from './permissions.js';
import { UserSchema } from './present.js';
import type { AuthProof } from './recent-auth.js';
import { NewAccountFields, PersonName, Phone } from './schemas.js';
import type { UsersService } from './service.js';

const ProfileEnvelope = Envelope({ profile: Type.Ref(UserSchema) });
const UserRef = Type.Ref(UserSchema);

/** Re-authentication for a change a stolen token must not make alone; checked, never stored or echoed. */
const CurrentPassword = Type.String({
  maxLength: 128,
  description:
    'your current password; needed to change email or phone, or to delete the account, when the login is older than REAUTH_WINDOW',
});

function proofOf(request: FastifyRequest, password: string | undefined): AuthProof {
  return { authTime: currentUser(request).authTime, password, ip: request.ip };
}

export const userRoutes: FastifyPluginAsyncTypebox<{ users: UsersService }> = async (app, { users }) => {
  app.get(
    '/api/v1/users/me',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['users'],
        summary: 'The signed-in user, with their child users when a parent',
        response: { 200: Envelope({ data: Type.Object({ user: UserRef, children: Type.Array(UserRef) }) }), ...errors(401, 403) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'User details fetched successfully',
      data: await users.getWithChildren(currentUser(request).id),
    }),
  );

  app.get(
    '/api/v1/profile',
    {
      config: { auth: 'user' },
      schema: { tags: ['profile'], summary: 'Get my profile', response: { 200: ProfileEnvelope, ...errors(401, 403, 404) } },
    },
    async (request) => ({
      status: true as const,
      message: 'Profile fetched successfully',
      profile: await users.get(currentUser(request).id),
    }),
  );

  app.put(
    '/api/v1/profile',
    {
      config: { auth: 'user', messages: { missing: 'One or more required fields missing' } },
      schema: {
        tags: ['profile'],
        summary: 'Update my profile (name, first_name, last_name, email, phone, picture; nothing else)',
        description:
          'Changing email or phone needs a recent login (REAUTH_WINDOW) or the current `password` in the body, else 403 `REAUTH_REQUIRED`. ' +
          'A new email sends the old address a link that undoes the change (`POST /api/v1/auth/revert-email`).',
        body: Type.Object(
          {
            name: Type.Optional(PersonName),
            first_name: Type.Optional(PersonName),
            // may be sent empty (clears it), but not as invisible characters only
            last_name: Type.Optional(Name({ maxLength: 100, blank: true })),
            email: Type.Optional(Email),
            phone: Type.Optional(Type.Union([Phone, Type.Null()])),
            picture: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
            password: Type.Optional(CurrentPassword),
          },
          { additionalProperties: false },
        ),
        response: { 200: ProfileEnvelope, ...errors(400, 401, 403, 404, 409, 422, 429) },
      },
    },
    async (request) => {
      const { password, ...profile } = request.body;
      return {
        status: true as const,
        message: 'Profile updated successfully',
        profile: await users.updateProfile(currentUser(request).id, profile, proofOf(request, password)),
      };
    },
  );

  app.delete(
    '/api/v1/profile',
    {
      config: { auth: 'user', optionalBody: true },
      schema: {
        tags: ['profile'],
        summary: 'Delete my account now, with its child users and memberships',
        description: 'Needs a recent login (REAUTH_WINDOW) or the current `password` in an optional JSON body, else 403 `REAUTH_REQUIRED`.',
        body: Type.Object({ password: Type.Optional(CurrentPassword) }, { additionalProperties: false }),
        response: { 200: MessageEnvelope, ...errors(400, 401, 403, 404, 422, 429) },
      },
    },
    async (request) => {
      await users.deleteNow(currentUser(request).id, proofOf(request, request.body.password));
      return { status: true as const, message: 'Profile deleted successfully' };
    },
  );

  app.post(
    '/api/v1/users/children',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['users'],
        summary: 'Create a child user (parents only)',
        body: Type.Object(
          {
            ...NewAccountFields,
            permissions: Type.Array(Type.Union(CHILD_PERMISSIONS.map((p) => Type.Literal(p))), {
              maxItems: CHILD_PERMISSIONS.length * 2,
              default: [],
            }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Envelope({ data: UserRef }), ...errors(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const child = await users.createChild(currentUser(request), request.body);
      return reply.code(201).send({ status: true, message: 'Child user created successfully', data: child });
    },
  );

  app.get(
    '/api/v1/users/children',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['users'],
        summary: "List the parent's child users",
        response: { 200: Envelope({ data: Type.Array(UserRef) }), ...errors(401, 403) },
      },
    },
    async (request) => {
      return { status: true as const, message: 'Child users fetched successfully', data: await users.listChildren(currentUser(request)) };
    },
  );

  app.post(
    '/api/v1/users/delete',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['users'],
        summary: 'Ask to delete my account: a confirmation link is emailed (any body is ignored)',
        response: { 200: MessageEnvelope, ...errors(401, 403) },
      },
    },
    async (request) => {
      await users.requestDeletion(currentUser(request).id);
      return { status: true as const, message: 'A confirmation link has been sent to your email address' };
    },
  );

  app.post(
    '/api/v1/users/confirm-delete',
    {
      config: { credential: true },
      schema: {
        tags: ['users'],
        summary: 'Confirm account deletion with the emailed token',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
        response: { 200: MessageEnvelope, ...errors(400, 422, 429) },
      },
    },
    async (request) => {
      await users.confirmDeletion(request.body.token);
      return { status: true as const, message: 'Your account has been deleted' };
    },
  );

  app.post(
    '/api/v1/auth/revert-email',
    {
      config: { credential: true },
      schema: {
        tags: ['auth'],
        summary: 'Undo an email change with the token emailed to the old address',
        description:
          'Restores the address the link was sent to, signs out every session and requires a password reset ' +
          '(forgot-password) before the next login. Single use; valid 7 days; 409 if another account now uses the address.',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
        response: { 200: MessageEnvelope, ...errors(400, 409, 422, 429) },
      },
    },
    async (request) => {
      await users.revertEmail(request.body.token);
      return { status: true as const, message: REVERT_MESSAGES.reverted };
    },
  );
};
