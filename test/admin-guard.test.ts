/**
 * The ONE shared security suite every admin route runs.
 *
 * `h.app.adminRoutes` is filled by the route policy as routes are registered (aliases included),
 * so it is the list of what is really served. FIXTURES below says, for each of them, how to make a
 * successful call. The first test fails when a route is added without a fixture (or a fixture
 * names a route that no longer exists, or a route's declared permission differs from the one
 * written here), so a new admin route cannot slip past this suite. The token checks over every
 * route at once, and the token kinds and revocation, are in admin-guard-tokens.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_PERMISSIONS, type RoutePermission } from '../src/modules/admins/permissions.js';
import { adminGuardHelpers, expectStatus, fill, keyOf } from './helpers/admin-guard.js';
import { analyticsFixtures, type Fixture, sessionAndWebhookFixtures, type World } from './helpers/admin-guard-fixtures.js';
import { type Admin, adminWith, bootstrapSuperadmin, countRows } from './helpers/fixtures.js';
import { Harness, uniqueEmail } from './helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const { forgedAdminToken, send, userStatus } = adminGuardHelpers(() => h);

// ---------------------------------------------------------------------------------------------
// the fixture table

const createAdmin: Fixture = {
  permission: 'superadmin',
  success: 201,
  setup: () => ({
    body: { email: uniqueEmail('new.staff'), password: 'new staff password', name: 'New Admin', permissions: ['manage_content'] },
  }),
  check: (res, _w, call) => {
    const data = res.json().data;
    expect(data.email).toBe((call.body as { email: string }).email);
    expect(data.permissions).toEqual(['manage_content']);
    expect(res.body).not.toContain('new staff password');
    expect(res.body).not.toContain('$argon2');
  },
};

const listAdmins: Fixture = {
  permission: 'superadmin',
  success: 200,
  setup: () => ({}),
  check: (res, w) => {
    const ids = (res.json().data as { id: string }[]).map((a) => a.id);
    expect(ids).toEqual(expect.arrayContaining([w.superadmin.id, w.denied.id]));
  },
};

const adminDetails: Fixture = {
  permission: 'any',
  success: 200,
  // an admin with no permissions at all reads itself...
  setup: (w) => ({ params: { adminId: w.allowed.id } }),
  // ...and even an admin holding every permission may not read another admin
  forbidden: (w) => ({ params: { adminId: w.superadmin.id } }),
  check: (res, w) => expect(res.json().data).toMatchObject({ id: w.allowed.id, email: w.allowed.email }),
};

async function adminTarget(w: World): Promise<Admin> {
  return adminWith(h, ['manage_content'], { by: w.superadmin });
}

async function adminExists(id: string): Promise<boolean> {
  return (await countRows(h, 'admins', 'id = $1', [id])) === 1;
}

const deleteAdmin: Fixture = {
  permission: 'superadmin',
  success: 200,
  setup: async (w) => ({ params: { adminId: (await adminTarget(w)).id } }),
  check: async (_res, _w, call) => expect(await adminExists(call.params!.adminId!)).toBe(false),
};

const setPermissions: Fixture = {
  permission: 'superadmin',
  success: 200,
  setup: async (w) => ({ params: { adminId: (await adminTarget(w)).id }, body: { permissions: ['view_analytics', 'manage_plans'] } }),
  check: (res) => expect([...res.json().data.permissions].sort()).toEqual(['manage_plans', 'view_analytics']),
};

const listUsers: Fixture = {
  permission: 'view_user_details',
  success: 200,
  setup: () => ({}),
  check: (res, w) => expect((res.json().data as { id: string }[]).map((u) => u.id)).toContain(w.user.id),
};

const userDetails: Fixture = {
  permission: 'view_user_details',
  success: 200,
  setup: (w) => ({ params: { userId: w.user.id } }),
  check: (res, w) => expect(res.json().data.user.id).toBe(w.user.id),
};

const deactivate: Fixture = {
  permission: 'manage_users',
  success: 200,
  setup: async () => ({ params: { userId: (await h.registerUser()).id } }),
  check: async (res, _w, call) => {
    expect(res.json().data.status).toBe('deactivated');
    expect(await userStatus(call.params!.userId!)).toBe('deactivated');
  },
};

const reactivate: Fixture = {
  permission: 'manage_users',
  success: 200,
  setup: async (w) => {
    const target = await h.registerUser();
    const res = await h.post(`/api/v1/admin/users/${target.id}/deactivate`, undefined, w.superadmin.token);
    if (res.statusCode !== 200) throw new Error(`deactivate failed: ${res.statusCode} ${res.body}`);
    return { params: { userId: target.id } };
  },
  check: async (res, _w, call) => {
    expect(res.json().data.status).toBe('active');
    expect(await userStatus(call.params!.userId!)).toBe('active');
  },
};

const deleteUser: Fixture = {
  permission: 'manage_users',
  success: 200,
  setup: async () => ({ params: { userId: (await h.registerUser()).id } }),
  check: async (_res, _w, call) => expect(await userStatus(call.params!.userId!)).toBeUndefined(),
};

const resetLink: Fixture = {
  permission: 'manage_users',
  success: 200,
  setup: async () => ({ body: { email: (await h.registerUser()).email } }),
  check: async (_res, _w, call) => {
    await h.deliver();
    const mail = h.mailer.last((call.body as { email: string }).email);
    expect(mail?.text).toContain('/reset-password?token=');
  },
};

const auditLog: Fixture = {
  permission: 'view_audit_log',
  success: 200,
  setup: () => ({}),
  // the world's admins were created through the API, so the log is not empty
  check: (res) => expect((res.json().data as { action: string }[]).some((e) => e.action === 'admin.create')).toBe(true),
};

// ---- plans (manage_plans) ----
let planCounter = 0;
async function makePlan(w: World, overrides: Record<string, unknown> = {}): Promise<string> {
  const body = {
    name: `guard-plan-${planCounter++}`,
    price: { monthly: { amount: 9.99, currency: 'USD' }, yearly: { amount: 99, currency: 'USD' } },
    features: { teamMembers: 2 },
    ...overrides,
  };
  const res = await h.post('/api/v1/admin/plans', body, w.superadmin.token);
  if (res.statusCode !== 201) throw new Error(`create plan failed: ${res.statusCode} ${res.body}`);
  return res.json().data.id as string;
}

async function planRow(id: string) {
  const { rows } = await h.db.query<{
    status: string;
    deleted_at: Date | null;
    custom_features: string[];
    features: Record<string, unknown>;
  }>('select status, deleted_at, custom_features, features from plans where id = $1', [id]);
  return rows[0];
}

const createPlan: Fixture = {
  permission: 'manage_plans',
  success: 201,
  setup: () => ({ body: { name: `guard-new-${planCounter++}`, price: { monthly: { amount: 29.99, currency: 'USD' } } } }),
  check: (res) => expect(res.json().data.price.monthly.amount).toBe(29.99),
};
const listPlans: Fixture = {
  permission: 'manage_plans',
  success: 200,
  setup: async (w) => ({ params: { planId: await makePlan(w) } }),
  check: (res, _w, call) => expect((res.json().data as { id: string }[]).map((p) => p.id)).toContain(call.params!.planId),
};
const getPlan: Fixture = {
  permission: 'manage_plans',
  success: 200,
  setup: async (w) => ({ params: { planId: await makePlan(w) } }),
  check: (res, _w, call) => expect(res.json().data.id).toBe(call.params!.planId),
};
const replacePlan: Fixture = {
  permission: 'manage_plans',
  success: 200,
  setup: async (w) => ({
    params: { planId: await makePlan(w) },
    body: { name: `guard-replaced-${planCounter++}`, price: { monthly: { amount: 5, currency: 'EUR' } } },
  }),
  check: (res) => expect(res.json().data.price.monthly).toEqual({ amount: 5, currency: 'EUR' }),
};
const customFeatures: Fixture = {
  permission: 'manage_plans',
  success: 200,
  setup: async (w) => ({ params: { planId: await makePlan(w) }, body: { customFeatures: ['White label reports'] } }),
  check: async (_res, _w, call) => expect((await planRow(call.params!.planId!))!.custom_features).toEqual(['White label reports']),
};
const mergeFeatures: Fixture = {
  permission: 'manage_plans',
  success: 200,
  setup: async (w) => ({ params: { planId: await makePlan(w) }, body: { features: { support: '24/7' } } }),
  check: async (_res, _w, call) => expect((await planRow(call.params!.planId!))!.features).toEqual({ teamMembers: 2, support: '24/7' }),
};
const planStatus: Fixture = {
  permission: 'manage_plans',
  success: 200,
  setup: async (w) => ({ params: { planId: await makePlan(w) }, body: { status: 'inactive' } }),
  check: async (_res, _w, call) => expect((await planRow(call.params!.planId!))!.status).toBe('inactive'),
};
const deletePlan: Fixture = {
  permission: 'manage_plans',
  success: 200,
  setup: async (w) => ({ params: { planId: await makePlan(w) } }),
  check: async (_res, _w, call) => expect((await planRow(call.params!.planId!))!.deleted_at).not.toBeNull(),
};
const simpleCreate: Fixture = {
  permission: 'manage_plans',
  success: 201,
  setup: () => ({ body: { name: `guard-simple-${planCounter++}`, price: 7 } }),
  check: (res) => expect(res.json().data.price).toBe(7),
};
const simpleUpdate: Fixture = {
  permission: 'manage_plans',
  success: 200,
  setup: async (w) => ({ params: { id: await makePlan(w) }, body: { price: 12.5 } }),
  check: (res) => expect(res.json().data.price).toBe(12.5),
};
const simpleDelete: Fixture = {
  permission: 'manage_plans',
  success: 200,
  setup: async (w) => ({ params: { id: await makePlan(w) } }),
  check: async (_res, _w, call) => expect((await planRow(call.params!.id!))!.deleted_at).not.toBeNull(),
};

// ---- subscriptions on behalf of a user (manage_subscriptions) ----
async function subscribed(w: World): Promise<{ userId: string; planId: string }> {
  const planId = await makePlan(w);
  const target = await h.registerUser();
  const res = await h.post(`/api/v1/admin/users/${target.id}/subscription`, { planId, billingCycle: 'monthly' }, w.superadmin.token);
  if (res.statusCode !== 200) throw new Error(`subscribe failed: ${res.statusCode} ${res.body}`);
  return { userId: target.id, planId };
}

const adminSubscribe: Fixture = {
  permission: 'manage_subscriptions',
  success: 200,
  setup: async (w) => ({ params: { userId: (await h.registerUser()).id }, body: { planId: await makePlan(w), billingCycle: 'monthly' } }),
  check: (res, _w, call) => expect(res.json().data).toMatchObject({ userId: call.params!.userId, status: 'active' }),
};
const adminGetSubscription: Fixture = {
  permission: 'manage_subscriptions',
  success: 200,
  setup: async (w) => ({ params: { userId: (await subscribed(w)).userId } }),
  check: (res, _w, call) => expect(res.json().data.userId).toBe(call.params!.userId),
};
const adminChangeSubscription: Fixture = {
  permission: 'manage_subscriptions',
  success: 200,
  setup: async (w) => ({ params: { userId: (await subscribed(w)).userId }, body: { billingCycle: 'yearly' } }),
  check: (res) => expect(res.json().data.billingCycle).toBe('yearly'),
};
const adminCancelSubscription: Fixture = {
  permission: 'manage_subscriptions',
  success: 200,
  setup: async (w) => ({ params: { userId: (await subscribed(w)).userId }, body: { reason: 'requested by phone' } }),
  check: (res) => expect(res.json().data).toMatchObject({ status: 'canceled', cancelReason: 'requested by phone' }),
};

/** Every admin route, keyed `${method} ${url}` as the route policy registers it. */
const FIXTURES: Record<string, Fixture> = {
  // the routes of issues 11 and 12 (sessions, signing keys, webhooks)
  ...sessionAndWebhookFixtures(() => h),
  // the analytics routes of issue 13
  ...analyticsFixtures(() => h),
  'POST /api/v1/admin/admins': createAdmin,
  'POST /api/v1/admin/create-admin': createAdmin,
  'GET /api/v1/admin/admins': listAdmins,
  'GET /api/v1/admin/get-all-admins': listAdmins,
  'GET /api/v1/admin/admins/:adminId': adminDetails,
  'GET /api/v1/admin/get-admin-details/:adminId': adminDetails,
  'DELETE /api/v1/admin/admins/:adminId': deleteAdmin,
  'DELETE /api/v1/admin/delete-admin/:adminId': deleteAdmin,
  'PUT /api/v1/admin/admins/:adminId/permissions': setPermissions,
  'PUT /api/v1/admin/update-admin-permissions/:adminId': setPermissions,
  'GET /api/v1/admin/users': listUsers,
  'GET /api/v1/admin/users/:userId': userDetails,
  'GET /api/admin/users/:userId/details': userDetails,
  'POST /api/v1/admin/users/:userId/deactivate': deactivate,
  'GET /api/admin/users/:userId/deactivate': deactivate,
  'POST /api/admin/users/:userId/deactivate': deactivate,
  'POST /api/v1/admin/users/:userId/reactivate': reactivate,
  'GET /api/admin/users/:userId/reactivate': reactivate,
  'POST /api/admin/users/:userId/reactivate': reactivate,
  'DELETE /api/v1/admin/users/:userId': deleteUser,
  'DELETE /api/admin/users/:userId': deleteUser,
  'POST /api/v1/admin/users/password-reset-link': resetLink,
  'POST /api/admin/users/sendPasswordResetLink': resetLink,
  'GET /api/v1/admin/audit-log': auditLog,
  'POST /api/v1/admin/plans': createPlan,
  'POST /api/admin/subscription/plans': createPlan,
  'GET /api/v1/admin/plans': listPlans,
  'GET /api/v1/admin/subscription/plans': listPlans,
  'GET /api/v1/admin/plans/:planId': getPlan,
  'GET /api/admin/subscription/plans/:planId': getPlan,
  'PUT /api/v1/admin/plans/:planId': replacePlan,
  'PUT /api/admin/subscription/plans/:planId': replacePlan,
  'PATCH /api/v1/admin/plans/:planId/custom-features': customFeatures,
  'PATCH /api/admin/subscription/plans/:planId/features': customFeatures,
  'PATCH /api/v1/admin/plans/:planId/features': mergeFeatures,
  'PUT /api/subscriptions/plan-features/:planId': mergeFeatures,
  'POST /api/v1/admin/plans/:planId/status': planStatus,
  'POST /api/subscription/admin/plans/:planId/status': planStatus,
  'DELETE /api/v1/admin/plans/:planId': deletePlan,
  'DELETE /api/subscription/admin/plans/:planId': deletePlan,
  'POST /api/v1/subscription': simpleCreate,
  'POST /api/subscription': simpleCreate,
  'PATCH /api/v1/subscription/:id': simpleUpdate,
  'PATCH /api/subscription/:id': simpleUpdate,
  'DELETE /api/v1/subscription/:id': simpleDelete,
  'DELETE /api/subscription/:id': simpleDelete,
  'POST /api/v1/admin/users/:userId/subscription': adminSubscribe,
  'GET /api/v1/admin/users/:userId/subscription': adminGetSubscription,
  'GET /api/admin/users/:userId/subscription': adminGetSubscription,
  'PUT /api/v1/admin/users/:userId/subscription': adminChangeSubscription,
  'POST /api/admin/users/:userId/subscription/update': adminChangeSubscription,
  'POST /api/v1/admin/users/:userId/subscription/cancel': adminCancelSubscription,
};

async function buildWorld(permission: RoutePermission): Promise<World> {
  const superadmin = await bootstrapSuperadmin(h);
  const user = await h.registerUser();
  let allowed: Admin;
  let denied: Admin;
  if (permission === 'superadmin') {
    allowed = superadmin;
    denied = await adminWith(h, ADMIN_PERMISSIONS, { by: superadmin });
  } else if (permission === 'any') {
    allowed = await adminWith(h, [], { by: superadmin });
    denied = await adminWith(h, ADMIN_PERMISSIONS, { by: superadmin });
  } else {
    allowed = await adminWith(h, [permission], { by: superadmin });
    denied = await adminWith(
      h,
      ADMIN_PERMISSIONS.filter((p) => p !== permission),
      { by: superadmin },
    );
  }
  return { superadmin, user, allowed, denied };
}

describe('the admin route registry', () => {
  it('has a fixture for every admin route (aliases included), and every fixture names a registered route with the same permission', () => {
    const registry = h.app.adminRoutes;
    expect(registry.length).toBeGreaterThan(0);
    const registered = registry.map(keyOf);
    expect(new Set(registered).size, 'a route is registered twice').toBe(registered.length);
    const missing = registered.filter((k) => !(k in FIXTURES));
    expect(missing, 'admin routes without a fixture in test/admin-guard.test.ts').toEqual([]);
    const stale = Object.keys(FIXTURES).filter((k) => !registered.includes(k));
    expect(stale, 'fixtures for routes that are not registered').toEqual([]);
    for (const r of registry) {
      expect(r.permission, `${keyOf(r)} declares another permission than the fixture expects`).toBe(FIXTURES[keyOf(r)]!.permission);
    }
  });

  it('includes every documented admin spelling', () => {
    const registered = h.app.adminRoutes.map(keyOf);
    for (const k of [
      'POST /api/v1/admin/create-admin',
      'GET /api/v1/admin/get-all-admins',
      'GET /api/v1/admin/get-admin-details/:adminId',
      'DELETE /api/v1/admin/delete-admin/:adminId',
      'PUT /api/v1/admin/update-admin-permissions/:adminId',
      'GET /api/v1/admin/users',
      'GET /api/admin/users/:userId/details',
      'GET /api/admin/users/:userId/deactivate',
      'GET /api/admin/users/:userId/reactivate',
      'DELETE /api/admin/users/:userId',
      'POST /api/admin/users/sendPasswordResetLink',
      'GET /api/v1/admin/audit-log',
    ]) {
      expect(registered, k).toContain(k);
    }
  });
});

describe.each(Object.keys(FIXTURES))('%s', (key) => {
  it('401 without/with a malformed/forged token, 403 for a user token and an admin lacking the permission, success for the right admin', async () => {
    const route = h.app.adminRoutes.find((r) => keyOf(r) === key);
    expect(route, `${key} is not registered`).toBeDefined();
    const fixture = FIXTURES[key]!;
    const w = await buildWorld(route!.permission);
    const call = await fixture.setup(w);
    const url = fill(route!.url, call.params);
    const go = (token?: string, u = url) => send(route!.method, u, call.body, token);

    expectStatus(await go(), 401, `${key} without a token`, 'UNAUTHENTICATED');
    expectStatus(await go('abc.def.ghi'), 401, `${key} with a malformed token`, 'UNAUTHENTICATED');
    expectStatus(await go(await forgedAdminToken(w.allowed.id)), 401, `${key} with a token forged for a real admin`, 'UNAUTHENTICATED');
    expectStatus(await go(w.user.token), 403, `${key} with a user token`, 'FORBIDDEN');

    if (route!.permission === 'any' && fixture.ownSessionOnly) {
      // nothing to refuse: the route acts on the caller's own session
    } else if (route!.permission === 'any') {
      // the self-only rule: even an admin with every permission cannot act on another admin
      const other = fixture.forbidden?.(w);
      expect(other, `${key}: an 'any' route needs a forbidden() call in its fixture`).toBeDefined();
      expectStatus(await go(w.denied.token, fill(route!.url, other!.params)), 403, `${key} for another admin`, 'FORBIDDEN');
    } else {
      const label =
        route!.permission === 'superadmin'
          ? `${key} for a plain admin holding every permission`
          : `${key} for an admin with every permission but ${route!.permission}`;
      expectStatus(await go(w.denied.token), 403, label, 'FORBIDDEN');
    }

    const res = await go(w.allowed.token);
    expectStatus(
      res,
      fixture.success,
      `${key} for ${route!.permission === 'superadmin' ? 'a superadmin' : `an admin with exactly ${route!.permission}`}`,
    );
    expect(res.json().status).toBe(true);
    expect(res.body).not.toContain('$argon2');
    await fixture.check?.(res, w, call);
  });
});
