import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Envelope, errors, Uuid } from '../../http/schemas.js';
import { AUDIT_ACTIONS } from './actions.js';
import type { AuditService } from './service.js';

/** The closed list of actions, in the schema: a client (the console) is typed by it, and a misspelt filter is a 422. */
const Action = Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a)));

const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  admin_id: Type.Union([Type.String(), Type.Null()]),
  admin_email: Type.String(),
  action: Action,
  target_type: Type.String(),
  target_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String({ format: 'date-time' }),
});

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditService }> = async (app, { audit }) => {
  app.get(
    '/api/v1/admin/audit-log',
    {
      config: { auth: 'admin', permission: 'view_audit_log' },
      schema: {
        tags: ['admins'],
        summary: 'The audit log, newest first, filtered by admin, target, action and time ([from, to)); page with meta.next_cursor',
        querystring: Type.Object({
          admin_id: Type.Optional(Uuid),
          target_id: Type.Optional(Type.String({ maxLength: 100 })),
          action: Type.Optional(Action),
          from: Type.Optional(Type.String({ format: 'date-time', description: 'entries at or after this instant' })),
          to: Type.Optional(Type.String({ format: 'date-time', description: 'entries before this instant' })),
          // an audit id (bigint): past the largest exact integer it is no id at all
          cursor: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        }),
        response: {
          200: Envelope({
            data: Type.Array(AuditEntrySchema),
            meta: Type.Object({ limit: Type.Integer(), next_cursor: Type.Union([Type.Integer(), Type.Null()]) }),
          }),
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await audit.list({
        adminId: request.query.admin_id?.toLowerCase(),
        targetId: request.query.target_id?.toLowerCase(),
        action: request.query.action,
        from: request.query.from === undefined ? undefined : new Date(request.query.from),
        to: request.query.to === undefined ? undefined : new Date(request.query.to),
        beforeId: request.query.cursor,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return {
        status: true as const,
        message: 'Audit log fetched successfully',
        data: page,
        meta: { limit, next_cursor: rows.length > limit ? page.at(-1)!.id : null },
      };
    },
  );
};
