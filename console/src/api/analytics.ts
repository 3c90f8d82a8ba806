import { api, ok } from './client';

/**
 * The dashboard's endpoints (GET /api/v1/admin/analytics/…, permission view_analytics), through
 * the client typed from the OpenAPI document like every other call.
 */
export const analytics = {
  signups: (days = 30) => ok(api.GET('/api/v1/admin/analytics/signups', { params: { query: { days } } })).then((b) => b.data),
  accounts: () => ok(api.GET('/api/v1/admin/analytics/accounts', {})).then((b) => b.data),
  subscriptions: () => ok(api.GET('/api/v1/admin/analytics/subscriptions', {})).then((b) => b.data),
  revenue: () => ok(api.GET('/api/v1/admin/analytics/revenue', {})).then((b) => b.data),
  upcoming: (days = 7) => ok(api.GET('/api/v1/admin/analytics/upcoming', { params: { query: { days } } })).then((b) => b.data),
};
