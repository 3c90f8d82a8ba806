import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Envelope, errors } from '../../http/schemas.js';
import { type AnalyticsService, SIGNUP_DAYS, UPCOMING_DAYS } from './service.js';

const Count = Type.Integer({ minimum: 0 });
const Day = Type.String({ format: 'date', description: 'a UTC day, YYYY-MM-DD' });
const guard = { auth: 'admin', permission: 'view_analytics' } as const;
const tags = ['analytics'];

function daysQuery(bounds: { min: number; max: number; default: number }, description: string) {
  return Type.Object({
    days: Type.Optional(Type.Integer({ minimum: bounds.min, maximum: bounds.max, default: bounds.default, description })),
  });
}

const Signups = Type.Object({
  days: Type.Integer(),
  from: Day,
  to: Day,
  series: Type.Array(
    Type.Object({
      date: Day,
      signups: Type.Integer({ minimum: 0, description: 'parent (self-registered) accounts created that day that still exist' }),
      children: Type.Integer({ minimum: 0, description: 'child users created that day that still exist' }),
    }),
  ),
});

const Accounts = Type.Object({
  total: Count,
  byStatus: Type.Object({ active: Count, deactivated: Count }),
  byRole: Type.Object({ parent: Count, child: Count }),
});

const Subscriptions = Type.Object({
  total: Count,
  plans: Type.Array(
    Type.Object({
      planId: Type.String({ format: 'uuid' }),
      name: Type.String(),
      active: Count,
      canceled: Type.Integer({ minimum: 0, description: 'cancelled, still inside the paid period' }),
      total: Count,
    }),
  ),
});

const Revenue = Type.Object({
  currencies: Type.Array(
    Type.Object({
      currency: Type.String({ description: 'ISO 4217 code' }),
      mrr: Type.Number({ description: 'monthly recurring revenue in the major unit (29.99): monthly prices plus yearly prices ÷ 12' }),
      subscriptions: Type.Integer({ minimum: 0, description: 'active subscriptions priced in this currency' }),
    }),
  ),
});

const Upcoming = Type.Object({
  days: Type.Integer(),
  series: Type.Array(
    Type.Object({
      date: Day,
      renewals: Type.Integer({ minimum: 0, description: 'active subscriptions whose period ends that day' }),
      expiries: Type.Integer({ minimum: 0, description: 'cancelled subscriptions whose period ends that day' }),
    }),
  ),
});

/** Read-only figures for the admins' dashboard (issue 13), each behind view_analytics. */
export const analyticsRoutes: FastifyPluginAsyncTypebox<{ analytics: AnalyticsService }> = async (app, { analytics }) => {
  app.get(
    '/api/v1/admin/analytics/signups',
    {
      config: guard,
      schema: {
        tags,
        summary: 'Accounts created per UTC day, the last `days` days up to today, oldest first',
        querystring: daysQuery(SIGNUP_DAYS, 'how many days, today included'),
        response: { 200: Envelope({ data: Signups }), ...errors(401, 403, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Sign-ups fetched successfully',
      data: await analytics.signups(request.query.days),
    }),
  );

  app.get(
    '/api/v1/admin/analytics/accounts',
    {
      config: guard,
      schema: {
        tags,
        summary: 'Accounts by status and by role',
        response: { 200: Envelope({ data: Accounts }), ...errors(401, 403) },
      },
    },
    async () => ({ status: true as const, message: 'Account counts fetched successfully', data: await analytics.accounts() }),
  );

  app.get(
    '/api/v1/admin/analytics/subscriptions',
    {
      config: guard,
      schema: {
        tags,
        summary: 'Live subscriptions (active, or cancelled inside the paid period) per plan, largest first',
        response: { 200: Envelope({ data: Subscriptions }), ...errors(401, 403) },
      },
    },
    async () => ({ status: true as const, message: 'Subscription counts fetched successfully', data: await analytics.subscriptions() }),
  );

  app.get(
    '/api/v1/admin/analytics/revenue',
    {
      config: guard,
      schema: {
        tags,
        summary: 'Monthly recurring revenue of the active subscriptions, per currency',
        response: { 200: Envelope({ data: Revenue }), ...errors(401, 403) },
      },
    },
    async () => ({ status: true as const, message: 'Revenue fetched successfully', data: await analytics.revenue() }),
  );

  app.get(
    '/api/v1/admin/analytics/upcoming',
    {
      config: guard,
      schema: {
        tags,
        summary: 'Renewals and expiries due per UTC day, `days` days from today',
        querystring: daysQuery(UPCOMING_DAYS, 'how many days, today first'),
        response: { 200: Envelope({ data: Upcoming }), ...errors(401, 403, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Upcoming renewals fetched successfully',
      data: await analytics.upcoming(request.query.days),
    }),
  );
};
