import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminWith, countRows, createPlan, rootSession, subscribed } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';
import { CANCEL, GET_SUB, historyTypes, NOTIFICATIONS, SECOND, START, subscriptionHelpers, UNKNOWN_ID } from './helpers/subscriptions.js';

/**
 * Who else subscribes: the HNG spelling POST /api/subscribe/{plan_id}, children with
 * manage_billing on behalf of their parent, and admins on behalf of a user (audited).
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

/** The superadmin (bootstrapped once per test, after the reset), logged in; again once the test clock has moved (tokens live an hour on it). */
const root = rootSession({ maxAgeMs: 30 * 60 * SECOND });
const { subscribe, update, allRows } = subscriptionHelpers(() => h);

describe('HNG POST /api/subscribe/{plan_id}', () => {
  it('200 "Subscribed successfully", monthly by default', async () => {
    h.clock.set(new Date(START));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const res = await h.post(`/api/subscribe/${plan.id}`, undefined, user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: true, message: 'Subscribed successfully' });
    const got = await h.get(GET_SUB, user.token);
    expect(got.statusCode).toBe(200);
    expect(got.json().data).toMatchObject({
      planId: plan.id,
      billingCycle: 'monthly',
      status: 'active',
      currentPeriodEnd: '2026-04-10T09:30:00.000Z',
    });
  });

  it('the body may ask for yearly', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const res = await h.post(`/api/subscribe/${plan.id}`, { billingCycle: 'yearly' }, user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.billingCycle).toBe('yearly');
  });

  it('an unknown plan is 404 "Subscription plan not found"', async () => {
    const user = await h.registerUser();
    const res = await h.post(`/api/subscribe/${UNKNOWN_ID}`, undefined, user.token);
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json()).toMatchObject({ status: false, message: 'Subscription plan not found' });
  });

  it("a malformed id (not a UUID, or the seed's 24-hex id) is 404, never 500", async () => {
    const user = await h.registerUser();
    for (const id of ['not-an-id', '67616c378c821544d3c5400b', '1']) {
      const res = await h.post(`/api/subscribe/${id}`, undefined, user.token);
      expect(res.statusCode, `${id}: ${res.body}`).toBe(404);
      expect(res.json().message).toBe('Subscription plan not found');
    }
  });

  it('a second HNG subscribe is 409', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    expect((await h.post(`/api/subscribe/${plan.id}`, undefined, user.token)).statusCode).toBe(200);
    const again = await h.post(`/api/subscribe/${plan.id}`, undefined, user.token);
    expect(again.statusCode, again.body).toBe(409);
  });
});

describe('children', () => {
  it('a child without manage_billing gets 403 on subscribe, get, update and cancel', async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const plan = await createPlan(h, await root.token(h));
    expect((await subscribe(child, { planId: plan.id, billingCycle: 'monthly' })).statusCode).toBe(403);
    expect((await h.post(`/api/subscribe/${plan.id}`, undefined, child.token)).statusCode).toBe(403);
    await subscribed(h, parent, plan.id);
    expect((await h.get(GET_SUB, child.token)).statusCode).toBe(403);
    expect((await update(child, { billingCycle: 'yearly' })).statusCode).toBe(403);
    expect((await h.post(CANCEL, { reason: 'child' }, child.token)).statusCode).toBe(403);
    expect((await h.get(GET_SUB, parent.token)).json().data).toMatchObject({ status: 'active', billingCycle: 'monthly' });
  });

  it('a child with manage_billing subscribes on behalf of its parent; the parent sees it', async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent, { permissions: ['manage_billing'] });
    const plan = await createPlan(h, await root.token(h));
    const res = await subscribe(child, { planId: plan.id, billingCycle: 'monthly' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.userId).toBe(parent.id);
    const parentView = await h.get(GET_SUB, parent.token);
    expect(parentView.statusCode).toBe(200);
    expect(parentView.json().data.id).toBe(res.json().data.id);
    const childView = await h.get(GET_SUB, child.token);
    expect(childView.statusCode).toBe(200);
    expect(childView.json().data.id).toBe(res.json().data.id);
    expect(await allRows(child.id)).toBe(0);
    // and the parent is told
    const notes = await h.get(NOTIFICATIONS, parent.token);
    expect(notes.json().data.length).toBeGreaterThanOrEqual(1);
  });
});

describe('admin on behalf of a user', () => {
  it('subscribe, get, update and cancel at the documented paths, each audited', async () => {
    h.clock.set(new Date(START));
    const staff = await adminWith(h, ['manage_subscriptions'], { by: await root.token(h) });
    const user = await h.registerUser();
    const a = await createPlan(h, await root.token(h));
    const b = await createPlan(h, await root.token(h));

    const sub = await h.post(`/api/v1/admin/users/${user.id}/subscription`, { planId: a.id, billingCycle: 'monthly' }, staff.token);
    expect(sub.statusCode, sub.body).toBe(200);
    expect(sub.json().data).toMatchObject({
      userId: user.id,
      planId: a.id,
      status: 'active',
      currentPeriodEnd: '2026-04-10T09:30:00.000Z',
    });
    expect(sub.json().data.history[0].actor).toBe(`admin:${staff.id}`);
    expect((await h.get(GET_SUB, user.token)).json().data.id).toBe(sub.json().data.id);

    const got = await h.get(`/api/admin/users/${user.id}/subscription`, staff.token);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json().data.id).toBe(sub.json().data.id);

    const upd = await h.post(`/api/admin/users/${user.id}/subscription/update`, { planId: b.id, billingCycle: 'monthly' }, staff.token);
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json().data.planId).toBe(b.id);
    expect(historyTypes(upd.json().data)).toEqual(['subscribed', 'plan_changed']);

    const cancel = await h.post(
      `/api/v1/admin/users/${user.id}/subscription/cancel`,
      { reason: 'i dont really know the reason' },
      staff.token,
    );
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(cancel.json().data).toMatchObject({
      status: 'canceled',
      cancelReason: 'i dont really know the reason',
      cancelAtPeriodEnd: true,
    });

    const { rows } = await h.db.query<{ action: string; admin_id: string; target_id: string }>(
      `select action, admin_id, target_id from audit_log where action like 'subscription.%' order by id`,
    );
    expect(rows.map((r) => r.action)).toEqual(['subscription.subscribe', 'subscription.update', 'subscription.cancel']);
    for (const r of rows) {
      expect(r.admin_id).toBe(staff.id);
      expect(r.target_id).toBe(user.id);
    }
  });

  it('user self-service writes no audit rows', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, user, plan.id);
    await h.post(CANCEL, { reason: 'x' }, user.token);
    expect(await countRows(h, 'audit_log', `action like 'subscription.%'`)).toBe(0);
  });

  it('an admin without manage_subscriptions gets 403; a user token 403; no token 401', async () => {
    const other = await adminWith(h, ['manage_users', 'manage_plans'], { by: await root.token(h) });
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const calls = [
      ['POST', `/api/v1/admin/users/${user.id}/subscription`, { planId: plan.id, billingCycle: 'monthly' }],
      ['GET', `/api/admin/users/${user.id}/subscription`, undefined],
      ['POST', `/api/admin/users/${user.id}/subscription/update`, { planId: plan.id }],
      ['POST', `/api/v1/admin/users/${user.id}/subscription/cancel`, { reason: 'x' }],
    ] as const;
    for (const [method, url, body] of calls) {
      const forbidden = await h.request(method, url, { body, token: other.token });
      expect(forbidden.statusCode, `${method} ${url}: ${forbidden.body}`).toBe(403);
      const asUser = await h.request(method, url, { body, token: user.token });
      expect(asUser.statusCode, `${method} ${url} (user token): ${asUser.body}`).toBe(403);
      const anon = await h.request(method, url, { body });
      expect(anon.statusCode, `${method} ${url} (no token): ${anon.body}`).toBe(401);
    }
    expect(await allRows(user.id)).toBe(0);
  });

  it('an unknown user is 404; a malformed id 404; a child user 422', async () => {
    const staff = await adminWith(h, ['manage_subscriptions'], { by: await root.token(h) });
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const plan = await createPlan(h, await root.token(h));
    for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
      const calls = [
        h.post(`/api/v1/admin/users/${id}/subscription`, { planId: plan.id, billingCycle: 'monthly' }, staff.token),
        h.get(`/api/admin/users/${id}/subscription`, staff.token),
        h.post(`/api/admin/users/${id}/subscription/update`, { planId: plan.id }, staff.token),
        h.post(`/api/v1/admin/users/${id}/subscription/cancel`, { reason: 'x' }, staff.token),
      ];
      for (const res of await Promise.all(calls)) expect(res.statusCode, res.body).toBe(404);
    }
    const childCalls = [
      h.post(`/api/v1/admin/users/${child.id}/subscription`, { planId: plan.id, billingCycle: 'monthly' }, staff.token),
      h.get(`/api/admin/users/${child.id}/subscription`, staff.token),
      h.post(`/api/admin/users/${child.id}/subscription/update`, { planId: plan.id }, staff.token),
      h.post(`/api/v1/admin/users/${child.id}/subscription/cancel`, { reason: 'x' }, staff.token),
    ];
    for (const res of await Promise.all(childCalls)) {
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect(await allRows(child.id)).toBe(0);
  });

  it('the admin gets 404 for a user with no subscription, 409 subscribing one who has one, and the same plan rules', async () => {
    const staff = await adminWith(h, ['manage_subscriptions'], { by: await root.token(h) });
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { price: { monthly: { amount: 1, currency: 'USD' } } });
    expect((await h.get(`/api/admin/users/${user.id}/subscription`, staff.token)).statusCode).toBe(404);
    expect(
      (await h.post(`/api/v1/admin/users/${user.id}/subscription`, { planId: plan.id, billingCycle: 'yearly' }, staff.token)).statusCode,
    ).toBe(422);
    expect(
      (await h.post(`/api/v1/admin/users/${user.id}/subscription`, { planId: plan.id, billingCycle: 'monthly' }, staff.token)).statusCode,
    ).toBe(200);
    expect(
      (await h.post(`/api/v1/admin/users/${user.id}/subscription`, { planId: plan.id, billingCycle: 'monthly' }, staff.token)).statusCode,
    ).toBe(409);
  });
});
