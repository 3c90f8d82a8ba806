import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../http/errors.js';
import { Envelope, errors, MessageEnvelope, Uuid } from '../../http/schemas.js';
import { currentAdmin } from '../auth/access.js';
import { WEBHOOK_EVENT_TYPES } from './events.js';
import type { DeliveryRow } from './repository.js';
import type { Webhooks } from './service.js';

const EventType = Type.Union(WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)));
const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'https (http outside production); no private addresses in production',
});
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);
const Endpoint = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const WithSecret = Type.Object({
  ...Endpoint.properties,
  secret: Type.String({ description: 'whsec_… : verifies the signatures; shown this once' }),
});
const Delivery = Type.Object({
  id: Type.String({ format: 'uuid' }),
  eventId: Type.String(),
  eventType: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastResponse: Type.Union([Type.String(), Type.Null()], { description: 'the first 1 KiB of the last answer' }),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const Params = Type.Object({ id: Uuid });
const config = { auth: 'admin' as const, permission: 'manage_webhooks' as const, messages: { notFound: 'Webhook endpoint not found' } };

function presentDelivery(d: DeliveryRow) {
  return {
    id: d.id,
    eventId: d.event_id,
    eventType: d.event_type,
    status: d.status,
    attempts: d.attempts,
    lastStatus: d.last_status,
    lastError: d.last_error,
    lastResponse: d.last_response,
    nextAttemptAt: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
    createdAt: d.created_at.toISOString(),
    deliveredAt: d.delivered_at?.toISOString() ?? null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(at));
    const year = createdAt.getUTCFullYear();
    // a time this service could have written (a far one would be out of PostgreSQL's range)
    if (typeof id === 'string' && UUID.test(id) && year >= 2000 && year <= 9999) return { createdAt, id };
  } catch {
    // below
  }
  throw new AppError('VALIDATION_FAILED', 'cursor is invalid', [{ field: 'cursor', message: 'is not a cursor this service issued' }]);
}

/** Webhook endpoints, their deliveries and secrets: admins with manage_webhooks (superadmins have it); every change audited. */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: Webhooks }> = async (app, { webhooks }) => {
  const tags = ['webhooks'];

  app.post(
    '/api/v1/admin/webhooks',
    {
      config,
      schema: {
        tags,
        summary: 'Add an endpoint: 201 with its signing secret, shown this once',
        body: Type.Object(
          {
            url: Url,
            events: Type.Array(EventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length }),
            description: Type.Optional(Description),
          },
          { additionalProperties: false },
        ),
        response: { 201: Envelope({ data: WithSecret }), ...errors(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const created = await webhooks.create(currentAdmin(request), request.body);
      return reply
        .code(201)
        .send({ status: true, message: 'Webhook endpoint created: keep the secret, it is shown this once', data: created });
    },
  );

  app.get(
    '/api/v1/admin/webhooks',
    {
      config,
      schema: {
        tags,
        summary: 'Every endpoint (never a secret)',
        response: { 200: Envelope({ data: Type.Array(Endpoint) }), ...errors(401, 403) },
      },
    },
    async () => ({ status: true as const, message: 'Webhook endpoints fetched successfully', data: await webhooks.list() }),
  );

  app.get(
    '/api/v1/admin/webhooks/:id',
    {
      config,
      schema: {
        tags,
        summary: 'One endpoint',
        params: Params,
        response: { 200: Envelope({ data: Endpoint }), ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Webhook endpoint fetched successfully',
      data: await webhooks.get(request.params.id),
    }),
  );

  app.patch(
    '/api/v1/admin/webhooks/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Change the url, events, description, or enabled',
        params: Params,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            events: Type.Optional(Type.Array(EventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length })),
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Envelope({ data: Endpoint }), ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Webhook endpoint updated successfully',
      data: await webhooks.update(currentAdmin(request), request.params.id, request.body),
    }),
  );

  app.delete(
    '/api/v1/admin/webhooks/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Delete an endpoint and its deliveries',
        params: Params,
        response: { 200: MessageEnvelope, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => {
      await webhooks.remove(currentAdmin(request), request.params.id);
      return { status: true as const, message: 'Webhook endpoint deleted successfully' };
    },
  );

  app.post(
    '/api/v1/admin/webhooks/:id/rotate-secret',
    {
      config,
      schema: {
        tags,
        summary: 'A new signing secret, shown this once; the old one signs nothing from now on',
        params: Params,
        response: { 200: Envelope({ data: WithSecret }), ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Webhook secret rotated: keep the new secret, it is shown this once',
      data: await webhooks.rotateSecret(currentAdmin(request), request.params.id),
    }),
  );

  app.get(
    '/api/v1/admin/webhooks/:id/deliveries',
    {
      config,
      schema: {
        tags,
        summary: 'Deliveries to this endpoint, newest first (keyset pages: meta.next_cursor)',
        params: Params,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Envelope({
            data: Type.Array(Delivery),
            meta: Type.Object({ limit: Type.Integer(), next_cursor: Type.Union([Type.String(), Type.Null()]) }),
          }),
          ...errors(401, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 20;
      const after = request.query.cursor ? decodeCursor(request.query.cursor) : null;
      const rows = await webhooks.deliveries(request.params.id, after, limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const next =
        rows.length > limit && last ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url') : null;
      return {
        status: true as const,
        message: 'Deliveries fetched successfully',
        data: page.map(presentDelivery),
        meta: { limit, next_cursor: next },
      };
    },
  );

  app.post(
    '/api/v1/admin/webhooks/:id/deliveries/:deliveryId/retry',
    {
      config: { ...config, messages: { notFound: 'Delivery not found' } },
      schema: {
        tags,
        summary: 'Send a failed (or waiting) delivery again now',
        params: Type.Object({ id: Uuid, deliveryId: Uuid }),
        response: { 200: Envelope({ data: Delivery }), ...errors(401, 403, 404, 409, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Delivery queued again',
      data: presentDelivery(await webhooks.retry(currentAdmin(request), request.params.id, request.params.deliveryId)),
    }),
  );

  app.post(
    '/api/v1/admin/webhooks/:id/test',
    {
      config,
      schema: {
        tags,
        summary: 'Send a webhook.test event to this endpoint',
        params: Params,
        response: { 200: Envelope({ data: Type.Object({ eventId: Type.String() }) }), ...errors(401, 403, 404, 409, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Test event queued',
      data: await webhooks.test(currentAdmin(request), request.params.id),
    }),
  );
};
