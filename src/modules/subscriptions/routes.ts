import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { Envelope, errors, MultiLine, Uuid } from '../../http/schemas.js';
import { currentAdmin, currentUser } from '../auth/access.js';
import { PLAN_NOT_FOUND } from '../plans/service.js';
import type { BillingCaller, SubscriptionsService } from './service.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Cycle = Type.Union([Type.Literal('monthly'), Type.Literal('yearly')]);

export const SubscriptionSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    userId: Type.String({ format: 'uuid' }),
    planId: Type.String({ format: 'uuid' }),
    plan: Nullable(Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String(), category: Type.String() })),
    billingCycle: Cycle,
    price: Nullable(Type.Object({ amount: Type.Number(), currency: Type.String() })),
    status: Type.Union([Type.Literal('active'), Type.Literal('canceled'), Type.Literal('expired')]),
    currentPeriodStart: Type.String({ format: 'date-time' }),
    currentPeriodEnd: Type.String({ format: 'date-time' }),
    cancelAtPeriodEnd: Type.Boolean(),
    cancelReason: Nullable(Type.String()),
    canceledAt: Nullable(Type.String({ format: 'date-time' })),
    endedAt: Nullable(Type.String({ format: 'date-time' })),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    history: Type.Array(
      Type.Object({
        type: Type.String(),
        actor: Type.String(),
        detail: Type.Record(Type.String(), Type.Unknown()),
        at: Type.String({ format: 'date-time' }),
      }),
    ),
  },
  { $id: 'Subscription', title: 'Subscription' },
);

const SubscriptionEnvelope = Envelope({ data: Type.Ref(SubscriptionSchema) });
const SubscribeBody = Type.Object({ planId: Uuid, billingCycle: Type.Optional(Cycle) }, { additionalProperties: false });
const ChangeBody = Type.Object({ planId: Type.Optional(Uuid), billingCycle: Type.Optional(Cycle) }, { additionalProperties: false });
const CancelBody = Type.Object(
  { reason: Type.Optional(MultiLine({ maxLength: 1000 })), immediately: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'retries with the same key return the first result' }),
  ),
});
const UserParams = Type.Object({ userId: Uuid });
const tags = ['subscriptions'];
const adminConfig = { auth: 'admin' as const, permission: 'manage_subscriptions' as const, messages: { notFound: 'User not found' } };

const self = (request: FastifyRequest): BillingCaller => ({ kind: 'user', user: currentUser(request) });
const onBehalf = (request: FastifyRequest, userId: string): BillingCaller => ({ kind: 'admin', admin: currentAdmin(request), userId });

function idempotencyKey(request: FastifyRequest): string | undefined {
  const v = request.headers['idempotency-key'];
  return typeof v === 'string' ? v : undefined;
}

export const subscriptionRoutes: FastifyPluginAsyncTypebox<{ subscriptions: SubscriptionsService }> = async (app, { subscriptions }) => {
  // ---- the signed-in user (a child needs manage_billing and acts on its parent's subscription) ----
  app.get(
    '/api/v1/users/subscription',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'My live subscription, with its history',
        response: { 200: SubscriptionEnvelope, ...errors(401, 403, 404) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Subscription fetched successfully',
      data: await subscriptions.current(self(request)),
    }),
  );

  app.post(
    '/api/v1/users/subscribe',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'Subscribe to a plan (Idempotency-Key supported)',
        headers: IdempotencyHeaders,
        body: SubscribeBody,
        response: { 200: SubscriptionEnvelope, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const data = await subscriptions.subscribe(self(request), request.body, idempotencyKey(request));
      return { status: true as const, message: 'Subscribed successfully', data };
    },
  );

  app.post(
    '/api/v1/subscribe/:plan_id',
    {
      config: { auth: 'user', optionalBody: true, messages: { notFound: PLAN_NOT_FOUND } },
      schema: {
        tags,
        summary: 'HNG: subscribe to a plan by id (monthly unless the body says otherwise)',
        headers: IdempotencyHeaders,
        params: Type.Object({ plan_id: Uuid }),
        body: Type.Object({ billingCycle: Type.Optional(Cycle) }),
        response: { 200: SubscriptionEnvelope, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const data = await subscriptions.subscribe(
        self(request),
        { planId: request.params.plan_id, billingCycle: request.body.billingCycle },
        idempotencyKey(request),
      );
      return { status: true as const, message: 'Subscribed successfully', data };
    },
  );

  app.put(
    '/api/v1/users/subscription',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'Change plan and/or billing cycle (Idempotency-Key supported)',
        headers: IdempotencyHeaders,
        body: ChangeBody,
        response: { 200: SubscriptionEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const data = await subscriptions.change(self(request), request.body, idempotencyKey(request));
      return { status: true as const, message: 'Subscription updated successfully', data };
    },
  );

  app.post(
    '/api/v1/users/subscription/cancel',
    {
      config: { auth: 'user', optionalBody: true },
      schema: {
        tags,
        summary: 'Cancel: at period end by default, now with immediately: true',
        body: CancelBody,
        response: { 200: SubscriptionEnvelope, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const data = await subscriptions.cancel(self(request), request.body);
      return {
        status: true as const,
        message: data.status === 'expired' ? 'Subscription cancelled' : 'Subscription will be cancelled at the end of the current period',
        data,
      };
    },
  );

  app.get(
    '/api/v1/users/entitlements',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: "The effective limits of the caller's plan (or the default allowance) and current usage",
        response: {
          200: Envelope({
            data: Type.Object({
              accountId: Type.String({ format: 'uuid' }),
              source: Type.Union([Type.Literal('plan'), Type.Literal('default')]),
              plan: Nullable(Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() })),
              limits: Type.Record(Type.String(), Type.Unknown()),
              usage: Type.Object({ teamMembers: Type.Integer() }),
              remaining: Type.Object({ teamMembers: Type.Integer() }),
            }),
          }),
          ...errors(401, 403),
        },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Entitlements fetched successfully',
      data: await subscriptions.entitlements(currentUser(request)),
    }),
  );

  // ---- an admin on behalf of a user ----
  app.get(
    '/api/v1/admin/users/:userId/subscription',
    {
      config: adminConfig,
      schema: {
        tags,
        summary: "A user's live subscription",
        params: UserParams,
        response: { 200: SubscriptionEnvelope, ...errors(401, 403, 404, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Subscription fetched successfully',
      data: await subscriptions.current(onBehalf(request, request.params.userId)),
    }),
  );

  app.post(
    '/api/v1/admin/users/:userId/subscription',
    {
      config: adminConfig,
      schema: {
        tags,
        summary: 'Subscribe a user to a plan',
        headers: IdempotencyHeaders,
        params: UserParams,
        body: SubscribeBody,
        response: { 200: SubscriptionEnvelope, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const data = await subscriptions.subscribe(onBehalf(request, request.params.userId), request.body, idempotencyKey(request));
      return { status: true as const, message: 'Subscribed successfully', data };
    },
  );

  app.put(
    '/api/v1/admin/users/:userId/subscription',
    {
      config: adminConfig,
      schema: {
        tags,
        summary: "Change a user's plan and/or billing cycle",
        headers: IdempotencyHeaders,
        params: UserParams,
        body: ChangeBody,
        response: { 200: SubscriptionEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const data = await subscriptions.change(onBehalf(request, request.params.userId), request.body, idempotencyKey(request));
      return { status: true as const, message: 'Subscription updated successfully', data };
    },
  );

  app.post(
    '/api/v1/admin/users/:userId/subscription/cancel',
    {
      config: { ...adminConfig, optionalBody: true },
      schema: {
        tags,
        summary: "Cancel a user's subscription, with a reason",
        params: UserParams,
        body: CancelBody,
        response: { 200: SubscriptionEnvelope, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const data = await subscriptions.cancel(onBehalf(request, request.params.userId), request.body);
      return { status: true as const, message: 'Subscription cancelled', data };
    },
  );
};
