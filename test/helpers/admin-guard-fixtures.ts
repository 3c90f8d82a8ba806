/**
 * The admin-guard fixtures of the routes issues 11, 12 and 13 added (sessions, signing keys,
 * webhooks; analytics), kept beside test/admin-guard.test.ts, which lists them in its FIXTURES table.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { RoutePermission } from '../../src/modules/admins/permissions.js';
import { type Admin, countRows } from './fixtures.js';
import type { Harness, Response, TestUser } from './harness.js';

export interface World {
  superadmin: Admin;
  /** a customer user (parent) with its own token */
  user: TestUser;
  /** the admin that must succeed: the superadmin for 'superadmin' routes, else an admin holding exactly the permission */
  allowed: Admin;
  /** an admin that must be refused (403): all permissions but the needed one; all permissions for 'superadmin'/'any' routes */
  denied: Admin;
}

export interface Call {
  params?: Record<string, string>;
  body?: unknown;
}

export interface Fixture {
  /** the permission the route must declare */
  permission: RoutePermission;
  /** the status of a successful call */
  success: number;
  /** builds a call that succeeds for `w.allowed` (creating targets as needed) */
  setup(w: World): Promise<Call> | Call;
  /** 'any' routes: a call `w.denied` must be refused (the self-only rule) */
  forbidden?(w: World): Call;
  /** 'any' routes about the caller's own session only (logout): there is no other admin to refuse */
  ownSessionOnly?: true;
  /** checks the success really did what the route says */
  check?(res: Response, w: World, call: Call): Promise<void> | void;
}

/** The fixtures, given the file's harness (read when a fixture runs). */
export function sessionAndWebhookFixtures(getH: () => Harness) {
  const adminLogout: Fixture = {
    permission: 'any',
    success: 200,
    ownSessionOnly: true,
    setup: () => ({ body: {} }),
    check: async (_res, w) => {
      const after = await getH().get('/api/v1/admin/admins', w.allowed.token);
      expect(after.statusCode).toBe(401);
    },
  };

  const userSessions: Fixture = {
    permission: 'manage_users',
    success: 200,
    setup: (w) => ({ params: { userId: w.user.id } }),
    check: (res) => {
      const data = res.json().data as { id: string; current: boolean }[];
      expect(data.length).toBe(1);
      expect(data[0]!.current).toBe(false);
    },
  };

  const endUserSessions: Fixture = {
    permission: 'manage_users',
    success: 200,
    setup: (w) => ({ params: { userId: w.user.id } }),
    check: async (res, w) => {
      expect(res.json().data.ended).toBe(1);
      expect((await getH().get('/api/v1/profile', w.user.token)).statusCode).toBe(401);
      expect(await countRows(getH(), 'audit_log', "action = 'user.sessions_end' and target_id = $1", [w.user.id])).toBe(1);
    },
  };

  const rotateKeys: Fixture = {
    permission: 'superadmin',
    success: 200,
    setup: () => ({}),
    check: async (res) => {
      const kid = res.json().data.kid as string;
      const jwks = (await getH().get('/.well-known/jwks.json')).json().keys as { kid: string }[];
      expect(jwks.map((k) => k.kid)).toContain(kid);
    },
  };

  // ---- webhooks (manage_webhooks) ----
  const WEBHOOKS = '/api/v1/admin/webhooks';

  /** A local port nothing listens on: deliveries there fail at once (connection refused), and no traffic leaves the machine. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  /** The secret each endpoint was created with, by id (what rotate-secret must replace). */
  const createdSecrets = new Map<string, string>();

  /** An endpoint made by the superadmin (at a closed local port: nothing is ever received); its id and secret. */
  async function makeEndpoint(w: World, events: string[] = ['user.created']): Promise<{ id: string; secret: string; url: string }> {
    const url = `http://127.0.0.1:${await closedPort()}/guard-hook`;
    const res = await getH().post(WEBHOOKS, { url, events, description: 'guard endpoint' }, w.superadmin.token);
    if (res.statusCode !== 201) throw new Error(`create webhook failed: ${res.statusCode} ${res.body}`);
    const data = res.json().data as { id: string; secret: string };
    createdSecrets.set(data.id, data.secret);
    return { ...data, url };
  }

  async function endpointRow(id: string) {
    const { rows } = await getH().db.query<{ url: string; description: string | null; events: string[]; enabled: boolean; secret: string }>(
      'select url, description, events, enabled, secret from webhook_endpoints where id = $1',
      [id],
    );
    return rows[0];
  }

  const webhookAudits = (action: string, id: string) => countRows(getH(), 'audit_log', 'action = $1 and target_id = $2', [action, id]);

  const createWebhook: Fixture = {
    permission: 'manage_webhooks',
    success: 201,
    setup: async () => ({
      body: { url: `http://127.0.0.1:${await closedPort()}/created`, events: ['user.created', 'plan.deleted'], description: 'new one' },
    }),
    check: async (res, _w, call) => {
      const data = res.json().data;
      expect(data.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(data).toMatchObject({ url: (call.body as { url: string }).url, events: ['user.created', 'plan.deleted'], enabled: true });
      const row = await endpointRow(data.id);
      expect(row).toMatchObject({ url: data.url, events: ['user.created', 'plan.deleted'], description: 'new one', enabled: true });
      expect(row!.secret).not.toContain(data.secret.slice('whsec_'.length));
      expect(await webhookAudits('webhook.create', data.id)).toBe(1);
    },
  };
  const listWebhooks: Fixture = {
    permission: 'manage_webhooks',
    success: 200,
    setup: async (w) => ({ params: { id: (await makeEndpoint(w)).id } }),
    check: (res, _w, call) => {
      const data = res.json().data as { id: string }[];
      expect(data.map((e) => e.id)).toEqual([call.params!.id]);
      expect(data[0]).not.toHaveProperty('secret');
      expect(res.body).not.toContain('whsec_');
    },
  };
  const getWebhook: Fixture = {
    permission: 'manage_webhooks',
    success: 200,
    setup: async (w) => ({ params: { id: (await makeEndpoint(w, ['plan.created'])).id } }),
    check: (res, _w, call) => {
      expect(res.json().data).toMatchObject({
        id: call.params!.id,
        events: ['plan.created'],
        description: 'guard endpoint',
        enabled: true,
      });
      expect(res.json().data).not.toHaveProperty('secret');
      expect(res.body).not.toContain('whsec_');
    },
  };
  const updateWebhook: Fixture = {
    permission: 'manage_webhooks',
    success: 200,
    setup: async (w) => ({
      params: { id: (await makeEndpoint(w)).id },
      body: { events: ['organisation.created'], description: 'changed', enabled: false },
    }),
    check: async (res, _w, call) => {
      expect(res.json().data).toMatchObject({ events: ['organisation.created'], description: 'changed', enabled: false });
      expect(await endpointRow(call.params!.id!)).toMatchObject({
        events: ['organisation.created'],
        description: 'changed',
        enabled: false,
      });
      expect(await webhookAudits('webhook.update', call.params!.id!)).toBe(1);
    },
  };
  const deleteWebhook: Fixture = {
    permission: 'manage_webhooks',
    success: 200,
    setup: async (w) => ({ params: { id: (await makeEndpoint(w)).id } }),
    check: async (_res, _w, call) => {
      expect(await endpointRow(call.params!.id!)).toBeUndefined();
      expect(await webhookAudits('webhook.delete', call.params!.id!)).toBe(1);
    },
  };
  const rotateWebhookSecret: Fixture = {
    permission: 'manage_webhooks',
    success: 200,
    setup: async (w) => ({ params: { id: (await makeEndpoint(w)).id } }),
    check: async (res, _w, call) => {
      const secret = res.json().data.secret as string;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(createdSecrets.get(call.params!.id!)).toMatch(/^whsec_/);
      expect(secret).not.toBe(createdSecrets.get(call.params!.id!));
      expect(await webhookAudits('webhook.rotate_secret', call.params!.id!)).toBe(1);
    },
  };

  /** An endpoint with one delivery that failed its first attempt (connection refused): pending, to be retried. */
  async function failedDelivery(w: World): Promise<{ id: string; deliveryId: string }> {
    const e = await makeEndpoint(w);
    await getH().registerUser();
    await getH().deliver();
    const { rows } = await getH().db.query<{ id: string; status: string; attempts: number; last_error: string | null }>(
      'select id, status, attempts, last_error from webhook_deliveries where endpoint_id = $1',
      [e.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(rows[0]!.last_error).toBeTruthy();
    return { id: e.id, deliveryId: rows[0]!.id };
  }

  const webhookDeliveries: Fixture = {
    permission: 'manage_webhooks',
    success: 200,
    setup: async (w) => ({ params: { id: (await failedDelivery(w)).id } }),
    check: (res) => {
      const data = res.json().data as { eventType: string; status: string; attempts: number }[];
      expect(data).toHaveLength(1);
      expect(data[0]).toMatchObject({ eventType: 'user.created', status: 'pending', attempts: 1, lastStatus: null });
      expect(res.json().meta).toEqual({ limit: 20, next_cursor: null });
    },
  };
  const retryWebhookDelivery: Fixture = {
    permission: 'manage_webhooks',
    success: 200,
    setup: async (w) => ({ params: await failedDelivery(w) }),
    check: async (res, _w, call) => {
      expect(res.json().data).toMatchObject({ id: call.params!.deliveryId, status: 'pending', attempts: 1 });
      // due now, not at the backoff's time
      expect(res.json().data.nextAttemptAt).toBe(getH().clock.now().toISOString());
      expect(await webhookAudits('webhook.retry', call.params!.id!)).toBe(1);
    },
  };
  const testWebhook: Fixture = {
    permission: 'manage_webhooks',
    success: 200,
    // subscribed to something else: the test event goes to it all the same
    setup: async (w) => ({ params: { id: (await makeEndpoint(w, ['plan.deleted'])).id } }),
    check: async (res, _w, call) => {
      const eventId = res.json().data.eventId as string;
      const { rows } = await getH().db.query<{ type: string; endpoint_id: string }>(
        'select e.type, d.endpoint_id from webhook_deliveries d join webhook_events e on e.id = d.event_id where e.id = $1',
        [eventId],
      );
      expect(rows).toEqual([{ type: 'webhook.test', endpoint_id: call.params!.id }]);
      expect(await webhookAudits('webhook.test', call.params!.id!)).toBe(1);
    },
  };
  // keyed as the route policy registers them (test/admin-guard.test.ts spreads them into FIXTURES)
  const fixtures: Record<string, Fixture> = {
    'POST /api/v1/admin/logout': adminLogout,
    'GET /api/v1/admin/users/:userId/sessions': userSessions,
    'DELETE /api/v1/admin/users/:userId/sessions': endUserSessions,
    'POST /api/v1/admin/keys/rotate': rotateKeys,
    'POST /api/v1/admin/webhooks': createWebhook,
    'GET /api/v1/admin/webhooks': listWebhooks,
    'GET /api/v1/admin/webhooks/:id': getWebhook,
    'PATCH /api/v1/admin/webhooks/:id': updateWebhook,
    'DELETE /api/v1/admin/webhooks/:id': deleteWebhook,
    'POST /api/v1/admin/webhooks/:id/rotate-secret': rotateWebhookSecret,
    'GET /api/v1/admin/webhooks/:id/deliveries': webhookDeliveries,
    'POST /api/v1/admin/webhooks/:id/deliveries/:deliveryId/retry': retryWebhookDelivery,
    'POST /api/v1/admin/webhooks/:id/test': testWebhook,
  };
  return fixtures;
}

/**
 * The fixtures of the analytics routes (issue 13, view_analytics). Each world has one customer (a
 * parent registered today) and admins, who are not accounts; the subscription fixtures add one.
 */
export function analyticsFixtures(getH: () => Harness) {
  const today = () => getH().clock.now().toISOString().slice(0, 10);

  /** The world's user subscribed (by the superadmin) to a new plan of 9.99 USD a month; the plan's id and name. */
  async function subscribedPlan(w: World): Promise<{ id: string; name: string }> {
    const name = `guard-analytics-${crypto.randomUUID().slice(0, 8)}`;
    const created = await getH().post(
      '/api/v1/admin/plans',
      { name, price: { monthly: { amount: 9.99, currency: 'USD' } } },
      w.superadmin.token,
    );
    if (created.statusCode !== 201) throw new Error(`create plan failed: ${created.statusCode} ${created.body}`);
    const id = created.json().data.id as string;
    const res = await getH().post(`/api/v1/admin/users/${w.user.id}/subscription`, { planId: id }, w.superadmin.token);
    if (res.statusCode !== 200) throw new Error(`subscribe failed: ${res.statusCode} ${res.body}`);
    return { id, name };
  }

  const signups: Fixture = {
    permission: 'view_analytics',
    success: 200,
    setup: () => ({}),
    check: (res) => {
      const data = res.json().data;
      expect(data).toMatchObject({ days: 30, to: today() });
      expect(data.series).toHaveLength(30);
      expect(data.series.at(-1)).toEqual({ date: today(), signups: 1, children: 0 });
    },
  };
  const accounts: Fixture = {
    permission: 'view_analytics',
    success: 200,
    setup: () => ({}),
    check: (res) => expect(res.json().data).toEqual({ total: 1, byStatus: { active: 1, deactivated: 0 }, byRole: { parent: 1, child: 0 } }),
  };
  const subscriptions: Fixture = {
    permission: 'view_analytics',
    success: 200,
    setup: async (w) => ({ params: { planId: (await subscribedPlan(w)).id } }),
    check: (res, _w, call) =>
      expect(res.json().data).toEqual({
        total: 1,
        plans: [{ planId: call.params!.planId, name: expect.stringMatching(/^guard-analytics-/), active: 1, canceled: 0, total: 1 }],
      }),
  };
  const revenue: Fixture = {
    permission: 'view_analytics',
    success: 200,
    setup: async (w) => {
      await subscribedPlan(w);
      return {};
    },
    check: (res) => expect(res.json().data).toEqual({ currencies: [{ currency: 'USD', mrr: 9.99, subscriptions: 1 }] }),
  };
  const upcoming: Fixture = {
    permission: 'view_analytics',
    success: 200,
    // the subscription's period made to end tomorrow (the API only starts periods now)
    setup: async (w) => {
      await subscribedPlan(w);
      const tomorrow = new Date(getH().clock.now().getTime() + 24 * 60 * 60 * 1000);
      await getH().db.query('update subscriptions set current_period_end = $1 where user_id = $2', [tomorrow, w.user.id]);
      return {};
    },
    check: (res) => {
      const data = res.json().data;
      expect(data.days).toBe(7);
      expect(data.series.map((d: { renewals: number; expiries: number }) => [d.renewals, d.expiries])).toEqual([
        [0, 0],
        [1, 0],
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ]);
      expect(data.series[0].date).toBe(today());
    },
  };
  const fixtures: Record<string, Fixture> = {
    'GET /api/v1/admin/analytics/signups': signups,
    'GET /api/v1/admin/analytics/accounts': accounts,
    'GET /api/v1/admin/analytics/subscriptions': subscriptions,
    'GET /api/v1/admin/analytics/revenue': revenue,
    'GET /api/v1/admin/analytics/upcoming': upcoming,
  };
  return fixtures;
}
