import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../http/errors.js';
import { Envelope, errors, Uuid } from '../../http/schemas.js';
import { currentUser } from '../auth/access.js';
import { NOTIFICATION_KINDS, type NotificationKind } from './kinds.js';
import type { NotificationsService } from './service.js';

const NotificationSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  message: Type.String(),
  date: Type.String({ format: 'date-time' }),
  read: Type.Boolean(),
  // documented as the closed list; serialised as a plain string, so a row older than the list still answers
  kind: Type.Unsafe<NotificationKind>({ type: 'string', enum: [...NOTIFICATION_KINDS] }),
});
const tags = ['notifications'];

export const notificationRoutes: FastifyPluginAsyncTypebox<{ notifications: NotificationsService }> = async (app, { notifications }) => {
  app.get(
    '/api/v1/notifications',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'My notifications, newest first',
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          unread: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Envelope({
            data: Type.Array(NotificationSchema),
            meta: Type.Object({ page: Type.Integer(), limit: Type.Integer(), total: Type.Integer(), unread: Type.Integer() }),
          }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const page = request.query.page ?? 1;
      const limit = request.query.limit ?? 20;
      const { rows, total, unread } = await notifications.list(user.id, page, limit, request.query.unread === true);
      return {
        status: true as const,
        message: 'Fetched notifications successfully',
        data: rows,
        meta: { page, limit, total, unread },
      };
    },
  );

  app.get(
    '/api/v1/notifications/unread-count',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'How many notifications are unread',
        response: { 200: Envelope({ data: Type.Object({ unread: Type.Integer() }) }), ...errors(401, 403) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Fetched unread count successfully',
      data: { unread: await notifications.unreadCount(currentUser(request).id) },
    }),
  );

  app.patch(
    '/api/v1/notifications/:id/read',
    {
      config: { auth: 'user', messages: { notFound: 'Notification not found' } },
      schema: {
        tags,
        summary: 'Mark one notification read',
        params: Type.Object({ id: Uuid }),
        response: { 200: Envelope(), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      if (!(await notifications.markRead(currentUser(request).id, request.params.id))) {
        throw new AppError('NOT_FOUND', 'Notification not found');
      }
      return { status: true as const, message: 'Notification marked as read' };
    },
  );

  app.post(
    '/api/v1/notifications/read-all',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'Mark every notification read',
        response: { 200: Envelope({ data: Type.Object({ updated: Type.Integer() }) }), ...errors(401, 403) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'All notifications marked as read',
      data: { updated: await notifications.markAllRead(currentUser(request).id) },
    }),
  );
};
