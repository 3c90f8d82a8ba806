import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { clientOf } from '../../http/client.js';
import { Email, Envelope, errors, MessageEnvelope, Password } from '../../http/schemas.js';
import { UserSchema } from '../users/present.js';
import { NewAccountFields, Phone } from '../users/schemas.js';
import { currentUser } from './access.js';
import { type AuthService, MESSAGES, type Session } from './service.js';

const RefreshToken = Type.String({
  description:
    "the session's refresh token (also in data.refreshToken): POST /api/v1/auth/refresh trades it for a new pair; keep it secret",
});
const ExpiresIn = Type.Integer({ description: 'seconds until the access token expires' });
const SessionEnvelope = Envelope({
  token: Type.String({ description: 'access token, a JWT (EdDSA) to send as Authorization: Bearer (also in data.token)' }),
  refreshToken: Type.Optional(RefreshToken),
  expiresIn: ExpiresIn,
  data: Type.Object({ token: Type.String(), refreshToken: Type.Optional(Type.String()), expiresIn: ExpiresIn, user: Type.Ref(UserSchema) }),
});

const sessionAnswer = (session: Session) => ({
  token: session.token,
  ...(session.refreshToken ? { refreshToken: session.refreshToken } : {}),
  expiresIn: session.expiresIn,
  data: session,
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
      const session = await auth.register(request.body, clientOf(request));
      return reply.code(201).send({ status: true, message: MESSAGES.registered, ...sessionAnswer(session) });
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
      const session = await auth.login(request.body, clientOf(request));
      return { status: true as const, message: MESSAGES.loggedIn, ...sessionAnswer(session) };
    },
  );

  app.post(
    '/api/v1/auth/change-password',
    {
      config: { auth: 'user', ...missing },
      schema: {
        tags: ['auth'],
        summary: 'Change the password (ends every other session; this one goes on with a fresh access token)',
        body: Type.Object(
          { old_password: Type.String({ minLength: 1, maxLength: 128 }), new_password: Password },
          { additionalProperties: false },
        ),
        response: { 200: SessionEnvelope, ...errors(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const session = await auth.changePassword(
        currentUser(request),
        request.body.old_password,
        request.body.new_password,
        clientOf(request),
      );
      return { status: true as const, message: MESSAGES.passwordChanged, ...sessionAnswer(session) };
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
