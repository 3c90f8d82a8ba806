import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminWith, countRows, createPlan, relogin, rootSession, subscribed } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';
import {
  CANCEL,
  DAY,
  ENTITLEMENTS,
  GET_SUB,
  historyTypes,
  NOTIFICATIONS,
  SECOND,
  START,
  SUBSCRIBE,
  subscriptionHelpers,
  UNKNOWN_ID,
  UPDATE,
} from './helpers/subscriptions.js';

/**
 * Subscriptions (issue 4: "Subscription lifecycle"; contract §5): the user's own subscription at the
 * SocioX spellings, the rules, update, cancel and resume. Concurrency and Idempotency-Key are in
 * subscriptions-idempotency.test.ts; the HNG spelling, children and admins in
 * subscriptions-callers.test.ts; entitlements and notifications in subscriptions-entitlements.test.ts.
 * Renewal and expiry by the worker are in renewals*.test.ts.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

/** The superadmin (bootstrapped once per test, after the reset), logged in; again once the test clock has moved (tokens live an hour on it). */
const root = rootSession({ maxAgeMs: 30 * 60 * SECOND });
const { subscribe, update, liveRows, allRows } = subscriptionHelpers(() => h);

describe('subscribe and get (SocioX)', () => {
  it('GET /api/v1/users/subscription is 404 when the user has none', async () => {
    const user = await h.registerUser();
    const res = await h.get(GET_SUB, user.token);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ status: false, code: 'NOT_FOUND' });
  });

  it('subscribes monthly: 200, active, period of one calendar month from now, price, history [subscribed]; GET returns it', async () => {
    h.clock.set(new Date(START));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), {
      price: { monthly: { amount: 29.99, currency: 'USD' }, yearly: { amount: 299.99, currency: 'USD' } },
    });
    const res = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.status).toBe(true);
    expect(typeof body.message).toBe('string');
    const sub = body.data;
    expect(sub).toMatchObject({
      userId: user.id,
      planId: plan.id,
      billingCycle: 'monthly',
      status: 'active',
      currentPeriodStart: START,
      currentPeriodEnd: '2026-04-10T09:30:00.000Z',
      cancelAtPeriodEnd: false,
      cancelReason: null,
      endedAt: null,
      price: { amount: 29.99, currency: 'USD' },
    });
    expect(sub.plan).toMatchObject({ id: plan.id, name: plan.name });
    expect(historyTypes(sub)).toEqual(['subscribed']);

    const got = await h.get(GET_SUB, user.token);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json().status).toBe(true);
    expect(got.json().data).toMatchObject({ id: sub.id, status: 'active', planId: plan.id, currentPeriodEnd: sub.currentPeriodEnd });
    expect(historyTypes(got.json().data)).toEqual(['subscribed']);
  });

  it('a second subscribe while one is live is 409, and leaves one row', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const other = await createPlan(h, await root.token(h));
    await subscribed(h, user, plan.id);
    const again = await subscribe(user, { planId: other.id, billingCycle: 'monthly' });
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json()).toMatchObject({ status: false, code: 'CONFLICT' });
    expect(await allRows(user.id)).toBe(1);
    expect((await h.get(GET_SUB, user.token)).json().data.planId).toBe(plan.id);
  });

  it('yearly runs one calendar year, at the yearly price', async () => {
    h.clock.set(new Date(START));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id, 'yearly');
    expect(sub).toMatchObject({
      billingCycle: 'yearly',
      currentPeriodStart: START,
      currentPeriodEnd: '2027-03-10T09:30:00.000Z',
      price: { amount: 100, currency: 'USD' },
    });
  });

  it('billingCycle other than monthly/yearly is 422 naming the field', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const res = await subscribe(user, { planId: plan.id, billingCycle: 'weekly' });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect((res.json().errors as { field: string }[]).map((e) => e.field)).toContain('billingCycle');
    expect(await allRows(user.id)).toBe(0);
  });

  it('a missing planId is 422', async () => {
    const user = await h.registerUser();
    const res = await subscribe(user, { billingCycle: 'monthly' });
    expect(res.statusCode, res.body).toBe(422);
    expect((res.json().errors as { field: string }[]).map((e) => e.field)).toContain('planId');
  });

  it('an unknown plan is 404, a soft-deleted plan is 404', async () => {
    const user = await h.registerUser();
    const unknown = await subscribe(user, { planId: UNKNOWN_ID, billingCycle: 'monthly' });
    expect(unknown.statusCode, unknown.body).toBe(404);
    expect(unknown.json().code).toBe('NOT_FOUND');

    const plan = await createPlan(h, await root.token(h));
    const del = await h.delete(`/api/subscription/admin/plans/${plan.id}`, await root.token(h), { status: 'inactive' });
    expect(del.statusCode, del.body).toBe(200);
    const deleted = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' });
    expect(deleted.statusCode, deleted.body).toBe(404);
    expect(await allRows(user.id)).toBe(0);
  });

  it('an inactive plan is 422 (created inactive, or made inactive later)', async () => {
    const user = await h.registerUser();
    const inactive = await createPlan(h, await root.token(h), { status: 'inactive' });
    const res = await subscribe(user, { planId: inactive.id, billingCycle: 'monthly' });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().code).toBe('VALIDATION_FAILED');

    const plan = await createPlan(h, await root.token(h));
    const st = await h.post(`/api/subscription/admin/plans/${plan.id}/status`, { status: 'inactive' }, await root.token(h));
    expect(st.statusCode, st.body).toBe(200);
    const later = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' });
    expect(later.statusCode, later.body).toBe(422);
    expect(await allRows(user.id)).toBe(0);
  });

  it('a plan without a yearly price subscribed yearly is 422; monthly works', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { price: { monthly: { amount: 5, currency: 'EUR' } } });
    const res = await subscribe(user, { planId: plan.id, billingCycle: 'yearly' });
    expect(res.statusCode, res.body).toBe(422);
    expect((res.json().errors as { field: string }[]).map((e) => e.field)).toContain('billingCycle');
    expect(await allRows(user.id)).toBe(0);
    const ok = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().data.price).toEqual({ amount: 5, currency: 'EUR' });
  });

  it('no token is 401 on every user subscription endpoint', async () => {
    const plan = await createPlan(h, await root.token(h));
    for (const [method, url, body] of [
      ['GET', GET_SUB, undefined],
      ['POST', SUBSCRIBE, { planId: plan.id, billingCycle: 'monthly' }],
      ['PUT', UPDATE, { planId: plan.id }],
      ['POST', CANCEL, { reason: 'x' }],
      ['POST', `/api/subscribe/${plan.id}`, undefined],
      ['GET', ENTITLEMENTS, undefined],
    ] as const) {
      const res = await h.request(method, url, { body });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(401);
    }
  });

  it('an admin token is not a user token (403)', async () => {
    const plan = await createPlan(h, await root.token(h));
    const res = await h.post(SUBSCRIBE, { planId: plan.id, billingCycle: 'monthly' }, await root.token(h));
    expect(res.statusCode, res.body).toBe(403);
  });
});

describe('update', () => {
  it('{planId} changes the plan, records plan_changed, keeps the period', async () => {
    h.clock.set(new Date(START));
    const user = await h.registerUser();
    const a = await createPlan(h, await root.token(h));
    const b = await createPlan(h, await root.token(h), { price: { monthly: { amount: 20, currency: 'USD' } } });
    const sub = await subscribed(h, user, a.id);
    h.clock.advance(3 * DAY);
    const fresh = await relogin(h, user);
    const res = await update(fresh, { planId: b.id });
    expect(res.statusCode, res.body).toBe(200);
    const changed = res.json().data;
    expect(changed).toMatchObject({
      id: sub.id,
      planId: b.id,
      billingCycle: 'monthly',
      status: 'active',
      currentPeriodStart: sub.currentPeriodStart,
      currentPeriodEnd: sub.currentPeriodEnd,
      price: { amount: 20, currency: 'USD' },
    });
    expect(historyTypes(changed)).toEqual(['subscribed', 'plan_changed']);
    expect((await h.get(GET_SUB, fresh.token)).json().data.planId).toBe(b.id);
  });

  it('{billingCycle: yearly} records cycle_changed; the new period starts now and ends in a year', async () => {
    h.clock.set(new Date(START));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, user, plan.id);
    h.clock.set(new Date('2026-03-20T12:00:00.000Z'));
    const res = await update(await relogin(h, user), { billingCycle: 'yearly' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({
      billingCycle: 'yearly',
      currentPeriodStart: '2026-03-20T12:00:00.000Z',
      currentPeriodEnd: '2027-03-20T12:00:00.000Z',
      price: { amount: 100, currency: 'USD' },
    });
    expect(historyTypes(res.json().data)).toEqual(['subscribed', 'cycle_changed']);
  });

  it('moving to a plan without a price for the current cycle is 422', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const monthlyOnly = await createPlan(h, await root.token(h), { price: { monthly: { amount: 3, currency: 'USD' } } });
    await subscribed(h, user, plan.id, 'yearly');
    const res = await update(user, { planId: monthlyOnly.id });
    expect(res.statusCode, res.body).toBe(422);
    const both = await update(user, { planId: monthlyOnly.id, billingCycle: 'monthly' });
    expect(both.statusCode, both.body).toBe(200);
    expect(historyTypes(both.json().data)).toEqual(['subscribed', 'plan_changed', 'cycle_changed']);
  });

  it('the canonical PUT /api/v1/users/subscription is the same handler', async () => {
    const user = await h.registerUser();
    const a = await createPlan(h, await root.token(h));
    const b = await createPlan(h, await root.token(h));
    await subscribed(h, user, a.id);
    const res = await h.put('/api/v1/users/subscription', { planId: b.id }, user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.planId).toBe(b.id);
  });

  it('{} is 422; no subscription is 404; an inactive target plan is 422; an unknown one 404', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const none = await update(user, { planId: plan.id });
    expect(none.statusCode, none.body).toBe(404);
    await subscribed(h, user, plan.id);
    const empty = await update(user, {});
    expect(empty.statusCode, empty.body).toBe(422);
    expect(empty.json().code).toBe('VALIDATION_FAILED');
    const inactive = await createPlan(h, await root.token(h), { status: 'inactive' });
    expect((await update(user, { planId: inactive.id })).statusCode).toBe(422);
    expect((await update(user, { planId: UNKNOWN_ID })).statusCode).toBe(404);
    expect((await update(user, { billingCycle: 'weekly' })).statusCode).toBe(422);
    const sub = (await h.get(GET_SUB, user.token)).json().data;
    expect(sub.planId).toBe(plan.id);
    expect(historyTypes(sub)).toEqual(['subscribed']);
  });
});

describe('cancel', () => {
  it('at period end by default: 200, canceled, cancelAtPeriodEnd, reason kept, still returned by GET; again is 409', async () => {
    h.clock.set(new Date(START));
    let user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    h.clock.advance(DAY);
    user = await relogin(h, user);
    const res = await h.post(CANCEL, { reason: 'my wish why do u wanna know' }, user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe(true);
    const cancelled = res.json().data;
    expect(cancelled).toMatchObject({
      id: sub.id,
      status: 'canceled',
      cancelAtPeriodEnd: true,
      cancelReason: 'my wish why do u wanna know',
      currentPeriodEnd: sub.currentPeriodEnd,
      endedAt: null,
    });
    expect(cancelled.canceledAt).toBe(new Date(Date.parse(START) + DAY).toISOString());
    expect(historyTypes(cancelled)).toEqual(['subscribed', 'cancelled']);

    const got = await h.get(GET_SUB, user.token);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json().data).toMatchObject({ id: sub.id, status: 'canceled', cancelReason: 'my wish why do u wanna know' });

    const again = await h.post(CANCEL, { reason: 'again' }, user.token);
    expect(again.statusCode, again.body).toBe(409);
    expect((await h.get(GET_SUB, user.token)).json().data.cancelReason).toBe('my wish why do u wanna know');

    // still live: a new subscribe is refused until it ends
    expect((await subscribe(user, { planId: plan.id, billingCycle: 'monthly' })).statusCode).toBe(409);
  });

  it('canonical POST /api/v1/users/subscription/cancel is the same handler; no subscription is 404', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    expect((await h.post(CANCEL, { reason: 'x' }, user.token)).statusCode).toBe(404);
    await subscribed(h, user, plan.id);
    const res = await h.post('/api/v1/users/subscription/cancel', { reason: 'canonical' }, user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.cancelReason).toBe('canonical');
  });

  it('a cancel with no body is a cancel at period end without a reason (user and admin)', async () => {
    const staff = await adminWith(h, ['manage_subscriptions'], { by: await root.token(h) });
    const user = await h.registerUser();
    const other = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, user, plan.id);
    await subscribed(h, other, plan.id);
    const res = await h.post(CANCEL, undefined, user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'canceled', cancelAtPeriodEnd: true, cancelReason: null });
    const byAdmin = await h.post(`/api/v1/admin/users/${other.id}/subscription/cancel`, undefined, staff.token);
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    expect(byAdmin.json().data).toMatchObject({ status: 'canceled', cancelAtPeriodEnd: true });
  });

  it('{immediately: true} ends it now: expired, endedAt set, GET 404, and a new subscribe works', async () => {
    h.clock.set(new Date(START));
    let user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    h.clock.advance(2 * DAY);
    user = await relogin(h, user);
    const res = await h.post(CANCEL, { reason: 'leaving', immediately: true }, user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({
      id: sub.id,
      status: 'expired',
      cancelReason: 'leaving',
      endedAt: new Date(Date.parse(START) + 2 * DAY).toISOString(),
    });
    expect(historyTypes(res.json().data)).toEqual(['subscribed', 'cancelled', 'expired']);
    expect((await h.get(GET_SUB, user.token)).statusCode).toBe(404);
    expect(await liveRows(user.id)).toBe(0);

    const again = await subscribe(user, { planId: plan.id, billingCycle: 'yearly' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().data.id).not.toBe(sub.id);
    expect(historyTypes(again.json().data)).toEqual(['subscribed']);
    expect(await allRows(user.id)).toBe(2);
    expect(await liveRows(user.id)).toBe(1);
  });

  it('a cancelled (not ended) subscription can still be ended immediately', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, user, plan.id);
    expect((await h.post(CANCEL, { reason: 'first' }, user.token)).statusCode).toBe(200);
    const now = await h.post(CANCEL, { immediately: true }, user.token);
    expect(now.statusCode, now.body).toBe(200);
    expect(now.json().data).toMatchObject({ status: 'expired', cancelReason: 'first' });
    expect((await h.get(GET_SUB, user.token)).statusCode).toBe(404);
  });

  it('updating a cancelled (not ended) subscription resumes it', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    expect((await h.post(CANCEL, { reason: 'maybe' }, user.token)).statusCode).toBe(200);
    h.clock.advance(SECOND);
    const res = await update(user, { planId: plan.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({
      id: sub.id,
      status: 'active',
      cancelAtPeriodEnd: false,
      currentPeriodEnd: sub.currentPeriodEnd,
    });
    expect(historyTypes(res.json().data)).toEqual(['subscribed', 'cancelled', 'resumed']);
    // and it can be cancelled again
    expect((await h.post(CANCEL, { reason: 'now really' }, user.token)).statusCode).toBe(200);
  });
});

describe('cancelled subscriptions at and after their end', () => {
  it('resuming keeps the plan it runs on, even one since deleted', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, user, plan.id);
    expect((await h.post(CANCEL, { reason: 'maybe' }, user.token)).statusCode).toBe(200);
    expect((await h.delete(`/api/subscription/admin/plans/${plan.id}`, await root.token(h))).statusCode).toBe(200);
    const res = await update(user, { planId: plan.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'active', planId: plan.id });
    expect(historyTypes(res.json().data)).toEqual(['subscribed', 'cancelled', 'resumed']);
  });

  it('once the period of a cancelled subscription has ended it is over before the worker runs: GET 404, update 404, subscribe again works', async () => {
    let user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const first = await subscribed(h, user, plan.id);
    expect((await h.post(CANCEL, { reason: 'done' }, user.token)).statusCode).toBe(200);
    h.clock.set(new Date(Date.parse(first.currentPeriodEnd) + SECOND));
    user = await relogin(h, user);
    expect((await h.get(GET_SUB, user.token)).statusCode).toBe(404);
    expect((await update(user, { billingCycle: 'yearly' })).statusCode).toBe(404);
    const again = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().data.id).not.toBe(first.id);
    const { rows } = await h.db.query<{ status: string; ended_at: Date }>('select status, ended_at from subscriptions where id = $1', [
      first.id,
    ]);
    expect(rows[0]!.status).toBe('expired');
    expect(rows[0]!.ended_at.toISOString()).toBe(first.currentPeriodEnd);
    expect(await countRows(h, 'subscription_events', `subscription_id = $1 and type = 'expired'`, [first.id])).toBe(1);
    // the worker finds nothing more to expire
    expect((await h.app.services.subscriptions.runDue()).expired).toBe(0);
  });

  it('lists notifications written in the same instant newest first', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, user, plan.id);
    await h.post(CANCEL, { reason: 'same instant' }, user.token);
    const res = await h.get(NOTIFICATIONS, user.token);
    const messages = (res.json().data as { message: string }[]).map((n) => n.message);
    expect(messages[0]).toMatch(/cancelled/);
    expect(messages[1]).toMatch(/subscribed/);
  });
});
