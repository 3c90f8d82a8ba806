import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Email, Envelope, errors, MessageEnvelope, Password } from '../../http/schemas.js';
import { UserSchema } from '../users/present.js';
import { NewAccountFields, Phone } from '../users/schemas.js';
import { currentUser } from './access.js';
import { type AuthService, MESSAGES } from './service.js';

const SessionEnvelope = Envelope({
  token: Type.String({ description: 'JWT access token (also in data.token)' }),
  data: Type.Object({ token: Type.String(), user: Type.Ref(UserSchema) }),
});

const missing = { messages: { missing: MESSAGES.missing } };

export const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService }> = async (app, { auth }) => {
  app.post(
    '/api/v1/auth/register',
    {
      config: { credential: true, ...missing },
      schema: {
        tags: ['auth'],
        summary: 'Register a parent account (SocioX or HNG body shape)',
        body: Type.Object(NewAccountFields, { additionalProperties: false }),
        response: { 201: SessionEnvelope, ...errors(400, 409, 422, 429) },
      },
    },
    async (request, reply) => {
      const session = await auth.register(request.body);
      return reply.code(201).send({ status: true, message: MESSAGES.registered, token: session.token, data: session });
    },
  );

  app.post(
    '/api/v1/auth/login',
    {
      config: { credential: true, ...missing },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a password and an email or a phone number',
        body: Type.Object(
          { email: Type.Optional(Email), phone: Type.Optional(Phone), password: Type.String({ minLength: 1, maxLength: 128 }) },
          { additionalProperties: false },
        ),
        response: { 200: SessionEnvelope, ...errors(400, 401, 403, 422, 429) },
      },
    },
    async (request) => {
      const session = await auth.login(request.body, request.ip);
      return { status: true as const, message: MESSAGES.loggedIn, token: session.token, data: session };
    },
  );

  app.post(
    '/api/v1/auth/change-password',
    {
      config: { auth: 'user', ...missing },
      schema: {
        tags: ['auth'],
        summary: 'Change the password (revokes every other token; a fresh one is returned)',
        body: Type.Object(
          { old_password: Type.String({ minLength: 1, maxLength: 128 }), new_password: Password },
          { additionalProperties: false },
        ),
        response: { 200: SessionEnvelope, ...errors(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const session = await auth.changePassword(currentUser(request).id, request.body.old_password, request.body.new_password, request.ip);
      return { status: true as const, message: MESSAGES.passwordChanged, token: session.token, data: session };
    },
  );

  app.post(
    '/api/v1/auth/forgot-password',
    {
      config: { credential: true },
      schema: {
        tags: ['auth'],
        summary: 'Email a 6-digit password reset code (same answer whether or not the account exists)',
        body: Type.Object({ email: Email }, { additionalProperties: false }),
        response: { 200: MessageEnvelope, ...errors(400, 422, 429) },
      },
    },
    async (request) => {
      await auth.forgotPassword(request.body.email);
      return { status: true as const, message: MESSAGES.otpSent };
    },
  );

  app.post(
    '/api/v1/auth/reset-password',
    {
      config: { credential: true },
      schema: {
        tags: ['auth'],
        summary: 'Set a new password with the emailed code',
        body: Type.Object(
          { email: Email, otp: Type.String({ pattern: '^[0-9]{6}$' }), newPassword: Password },
          { additionalProperties: false },
        ),
        response: { 200: MessageEnvelope, ...errors(400, 422, 429) },
      },
    },
    async (request) => {
      await auth.resetPassword(request.body);
      return { status: true as const, message: MESSAGES.passwordReset };
    },
  );
};
