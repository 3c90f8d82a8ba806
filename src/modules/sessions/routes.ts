import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../http/errors.js';
import { Envelope, errors, MessageEnvelope, Uuid } from '../../http/schemas.js';
import type { AdminUsersService } from '../admin-users/service.js';
import type { AdminsService } from '../admins/service.js';
import { currentAdmin, currentUser } from '../auth/access.js';
import type { AuthService } from '../auth/service.js';
import type { SessionRow } from './repository.js';
import { SESSION_MESSAGES } from './service.js';

const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512, description: 'the refresh token of the last sign-in or refresh' }) },
  { additionalProperties: false },
);
const TokenPair = Type.Object({
  token: Type.String({ description: 'a new access token' }),
  refreshToken: Type.String({ description: 'the next refresh token: the one sent is spent' }),
  expiresIn: Type.Integer({ description: 'seconds until the access token expires' }),
});
const RefreshEnvelope = Envelope({ ...TokenPair.properties, data: TokenPair });
const LogoutBody = Type.Object(
  { all: Type.Optional(Type.Boolean({ default: false, description: 'true: end every session of the account' })) },
  { additionalProperties: false },
);
const SessionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time', description: 'the sign-in or the last refresh' }),
  expiresAt: Type.String({
    format: 'date-time',
    description: 'the latest it can last (SESSION_MAX_TTL); unused for SESSION_IDLE_TTL it ends sooner',
  }),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean({ description: 'the session of the token that asks' }),
});
const SessionList = Envelope({ data: Type.Array(SessionSchema) });

function present(s: SessionRow, currentId: string | null) {
  return {
    id: s.id,
    createdAt: s.created_at.toISOString(),
    lastUsedAt: s.last_used_at.toISOString(),
    expiresAt: s.expires_at.toISOString(),
    userAgent: s.user_agent,
    ip: s.ip,
    current: s.id === currentId,
  };
}

const refreshSummary =
  'Trade a refresh token for a new access token and refresh token (the one sent is spent; sent again after 10 s, it ends the session)';

/** Sessions: refresh, sign out, and the list of devices signed in (users), the same for admins, and admins over users' sessions. */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService; admins: AdminsService; adminUsers: AdminUsersService }> = async (
  app,
  { auth, admins, adminUsers },
) => {
  app.post(
    '/api/v1/auth/refresh',
    {
      config: { credential: true },
      schema: {
        tags: ['auth'],
        summary: refreshSummary,
        body: RefreshBody,
        response: { 200: RefreshEnvelope, ...errors(400, 401, 422, 429) },
      },
    },
    async (request) => {
      const pair = await auth.refresh(request.body.refreshToken);
      return { status: true as const, message: SESSION_MESSAGES.refreshed, ...pair, data: pair };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'End this session ({"all": true}: every session of the account); its tokens are refused from now on',
        body: Type.Optional(LogoutBody),
        response: { 200: MessageEnvelope, ...errors(400, 401, 422) },
      },
    },
    async (request) => {
      const all = request.body?.all === true;
      await auth.logout(currentUser(request), all);
      return { status: true as const, message: all ? SESSION_MESSAGES.loggedOutAll : SESSION_MESSAGES.loggedOut };
    },
  );

  app.get(
    '/api/v1/auth/sessions',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'The sessions of this account that can still be used',
        response: { 200: SessionList, ...errors(401) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const list = await auth.sessions.list('user', user.id, user.tokenVersion);
      return { status: true as const, message: SESSION_MESSAGES.sessionsFetched, data: list.map((s) => present(s, user.sessionId)) };
    },
  );

  app.delete(
    '/api/v1/auth/sessions/:id',
    {
      config: { auth: 'user', messages: { notFound: SESSION_MESSAGES.sessionNotFound } },
      schema: {
        tags: ['auth'],
        summary: 'End one session of this account (a device signed out)',
        params: Type.Object({ id: Uuid }),
        response: { 200: MessageEnvelope, ...errors(401, 404, 422) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const ended = await auth.endSession(user.id, request.params.id);
      if (!ended) throw new AppError('NOT_FOUND', SESSION_MESSAGES.sessionNotFound);
      return { status: true as const, message: SESSION_MESSAGES.sessionEnded };
    },
  );

  app.post(
    '/api/v1/admin/refresh',
    {
      config: { credential: true },
      schema: {
        tags: ['admins'],
        summary: refreshSummary,
        body: RefreshBody,
        response: { 200: RefreshEnvelope, ...errors(400, 401, 422, 429) },
      },
    },
    async (request) => {
      const pair = await admins.refresh(request.body.refreshToken);
      return { status: true as const, message: SESSION_MESSAGES.refreshed, ...pair, data: pair };
    },
  );

  app.post(
    '/api/v1/admin/logout',
    {
      config: { auth: 'admin', permission: 'any' },
      schema: {
        tags: ['admins'],
        summary: 'End this admin session ({"all": true}: every session of this admin)',
        body: Type.Optional(LogoutBody),
        response: { 200: MessageEnvelope, ...errors(400, 401, 422) },
      },
    },
    async (request) => {
      const all = request.body?.all === true;
      await admins.logout(currentAdmin(request), all);
      return { status: true as const, message: all ? SESSION_MESSAGES.loggedOutAll : SESSION_MESSAGES.loggedOut };
    },
  );

  app.get(
    '/api/v1/admin/users/:userId/sessions',
    {
      config: { auth: 'admin', permission: 'manage_users' },
      schema: {
        tags: ['admin-users'],
        summary: "A user's sessions that can still be used",
        params: Type.Object({ userId: Uuid }),
        response: { 200: SessionList, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const list = await adminUsers.sessions(request.params.userId);
      return { status: true as const, message: SESSION_MESSAGES.sessionsFetched, data: list.map((s) => present(s, null)) };
    },
  );

  app.delete(
    '/api/v1/admin/users/:userId/sessions',
    {
      config: { auth: 'admin', permission: 'manage_users' },
      schema: {
        tags: ['admin-users'],
        summary: 'Sign a user out everywhere: every session ends (audited)',
        params: Type.Object({ userId: Uuid }),
        response: { 200: Envelope({ data: Type.Object({ ended: Type.Integer() }) }), ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const ended = await adminUsers.endSessions(currentAdmin(request), request.params.userId);
      return { status: true as const, message: 'Every session of the user has ended', data: { ended } };
    },
  );
};
