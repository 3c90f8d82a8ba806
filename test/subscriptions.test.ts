import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminWith, countRows, createPlan, relogin, rootSession, subscribed } from './helpers/fixtures.js';
import { Harness, type Response, type TestUser, uniqueEmail } from './helpers/harness.js';

/**
 * Subscriptions (issue 4: "Subscription lifecycle", "Entitlements", "Notifications"; contract §5):
 * the user's own subscription at the SocioX and HNG spellings, the rules, concurrency and
 * Idempotency-Key, cancel and resume, children with manage_billing, admins on behalf of a user,
 * entitlements (the teamMembers seat limit) and the notifications the events write.
 * Renewal and expiry by the worker are in renewals.test.ts.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const UNKNOWN_ID = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

const GET_SUB = '/api/v1/users/subscription';
const SUBSCRIBE = '/api/v1/users/subscribe';
const UPDATE = '/api/v1/users/subscription/update';
const CANCEL = '/api/v1/users/cancel-subscription';
const ENTITLEMENTS = '/api/v1/users/entitlements';
const NOTIFICATIONS = '/api/notifications';
const CHILDREN = '/api/users/child-users';

// ---------------------------------------------------------------------------------------------
// helpers

/** The superadmin (bootstrapped once per test, after the reset), logged in; again once the test clock has moved (tokens live an hour on it). */
const root = rootSession({ maxAgeMs: 30 * 60 * SECOND });

function subscribe(user: TestUser, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return h.request('POST', SUBSCRIBE, { body, token: user.token, headers });
}

function update(user: TestUser, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return h.request('PUT', UPDATE, { body, token: user.token, headers });
}

function historyTypes(sub: { history: { type: string }[] }): string[] {
  return sub.history.map((e) => e.type);
}

function liveRows(userId: string): Promise<number> {
  return countRows(h, 'subscriptions', `user_id = $1 and status in ('active', 'canceled')`, [userId]);
}

function allRows(userId: string): Promise<number> {
  return countRows(h, 'subscriptions', 'user_id = $1', [userId]);
}

function eventCount(userId: string, type: string): Promise<number> {
  return countRows(h, 'subscription_events e join subscriptions s on s.id = e.subscription_id', 's.user_id = $1 and e.type = $2', [
    userId,
    type,
  ]);
}

function statuses(responses: Response[]): number[] {
  return responses.map((r) => r.statusCode).sort((a, b) => a - b);
}

const START = '2026-03-10T09:30:00.000Z';

// ---------------------------------------------------------------------------------------------

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

describe('concurrency', () => {
  it('10 concurrent subscribes for one user: exactly one 200, the rest 409, none 500, one live row', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const results = await Promise.all(Array.from({ length: 10 }, () => subscribe(user, { planId: plan.id, billingCycle: 'monthly' })));
    const codes = statuses(results);
    expect(
      codes.filter((c) => c === 200),
      codes.join(','),
    ).toHaveLength(1);
    expect(
      codes.filter((c) => c === 409),
      codes.join(','),
    ).toHaveLength(9);
    for (const r of results) if (r.statusCode === 409) expect(r.json().code).toBe('CONFLICT');
    expect(await liveRows(user.id)).toBe(1);
    expect(await allRows(user.id)).toBe(1);
    expect(await eventCount(user.id, 'subscribed')).toBe(1);
  });

  it('the database, not only the code, refuses a second live subscription', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, user, plan.id);
    await expect(
      h.db.query(
        `insert into subscriptions (user_id, plan_id, billing_cycle, status, anchor_at, current_period_start, current_period_end)
         values ($1, $2, 'monthly', 'active', now(), now(), now() + interval '1 month')`,
        [user.id, plan.id],
      ),
    ).rejects.toThrow();
    expect(await liveRows(user.id)).toBe(1);
  });
});

describe('Idempotency-Key', () => {
  it('two sequential subscribes with the same key: both 200, same subscription, one row, one event, one notification', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const headers = { 'idempotency-key': 'subscribe-once-1' };
    const first = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' }, headers);
    expect(first.statusCode, first.body).toBe(200);
    h.clock.advance(5 * SECOND);
    const second = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' }, headers);
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json().data.id).toBe(first.json().data.id);
    expect(second.json().data).toEqual(first.json().data);
    expect(await allRows(user.id)).toBe(1);
    expect(await eventCount(user.id, 'subscribed')).toBe(1);
    expect(await countRows(h, 'notifications', `user_id = $1 and kind = 'subscription.subscribed'`, [user.id])).toBe(1);
  });

  it('without a key the retry is a 409 (the replay above is the key at work)', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, user, plan.id);
    expect((await subscribe(user, { planId: plan.id, billingCycle: 'monthly' })).statusCode).toBe(409);
  });

  it('the same key with a different body is 422', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const other = await createPlan(h, await root.token(h));
    const headers = { 'idempotency-key': 'k-mismatch' };
    expect((await subscribe(user, { planId: plan.id, billingCycle: 'monthly' }, headers)).statusCode).toBe(200);
    const diffPlan = await subscribe(user, { planId: other.id, billingCycle: 'monthly' }, headers);
    expect(diffPlan.statusCode, diffPlan.body).toBe(422);
    expect(diffPlan.json().code).toBe('VALIDATION_FAILED');
    const diffCycle = await subscribe(user, { planId: plan.id, billingCycle: 'yearly' }, headers);
    expect(diffCycle.statusCode, diffCycle.body).toBe(422);
    expect(await allRows(user.id)).toBe(1);
  });

  it('keys belong to one principal: another user with the same key gets their own subscription', async () => {
    const a = await h.registerUser();
    const b = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const headers = { 'idempotency-key': 'shared-key' };
    const ra = await subscribe(a, { planId: plan.id, billingCycle: 'monthly' }, headers);
    const rb = await subscribe(b, { planId: plan.id, billingCycle: 'monthly' }, headers);
    expect(ra.statusCode, ra.body).toBe(200);
    expect(rb.statusCode, rb.body).toBe(200);
    expect(rb.json().data.id).not.toBe(ra.json().data.id);
    expect(rb.json().data.userId).toBe(b.id);
    expect(await allRows(b.id)).toBe(1);
  });

  it('concurrent requests with the same key: all 200, the same subscription, one row', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const headers = { 'idempotency-key': 'concurrent-key' };
    const results = await Promise.all(
      Array.from({ length: 6 }, () => subscribe(user, { planId: plan.id, billingCycle: 'monthly' }, headers)),
    );
    expect(statuses(results), results.map((r) => r.body).join('\n')).toEqual([200, 200, 200, 200, 200, 200]);
    const ids = new Set(results.map((r) => r.json().data.id as string));
    expect(ids.size).toBe(1);
    expect(await allRows(user.id)).toBe(1);
    expect(await eventCount(user.id, 'subscribed')).toBe(1);
  });

  it('a failed request does not store its key: once the cause is fixed, the retry with the key acts', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { status: 'inactive' });
    const headers = { 'idempotency-key': 'retry-after-failure' };
    expect((await subscribe(user, { planId: plan.id, billingCycle: 'monthly' }, headers)).statusCode).toBe(422);
    const st = await h.post(`/api/subscription/admin/plans/${plan.id}/status`, { status: 'active' }, await root.token(h));
    expect(st.statusCode, st.body).toBe(200);
    const retry = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' }, headers);
    expect(retry.statusCode, retry.body).toBe(200);
    expect(await allRows(user.id)).toBe(1);
  });

  it('update with a key replays its first result instead of acting again', async () => {
    const user = await h.registerUser();
    const a = await createPlan(h, await root.token(h));
    const b = await createPlan(h, await root.token(h));
    await subscribed(h, user, a.id);
    const headers = { 'idempotency-key': 'change-to-b' };
    const first = await update(user, { planId: b.id }, headers);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().data.planId).toBe(b.id);
    // back to A without a key
    h.clock.advance(SECOND);
    const back = await update(user, { planId: a.id });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().data.planId).toBe(a.id);
    // the retry of the first request: replayed, so it does not move the subscription to B again
    h.clock.advance(SECOND);
    const retry = await update(user, { planId: b.id }, headers);
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json().data).toEqual(first.json().data);
    const now = (await h.get(GET_SUB, user.token)).json().data;
    expect(now.planId).toBe(a.id);
    expect(historyTypes(now)).toEqual(['subscribed', 'plan_changed', 'plan_changed']);
    // the same key with another body is refused
    const mismatch = await update(user, { billingCycle: 'yearly' }, headers);
    expect(mismatch.statusCode, mismatch.body).toBe(422);
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

describe('entitlements', () => {
  it('without a subscription: source default, limits.teamMembers = the configured default, usage = children', async () => {
    const parent = await h.registerUser();
    await h.createChild(parent);
    await h.createChild(parent);
    const res = await h.get(ENTITLEMENTS, parent.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe(true);
    expect(res.json().data).toMatchObject({
      accountId: parent.id,
      source: 'default',
      plan: null,
      limits: { teamMembers: h.config.defaultTeamMembers },
      usage: { teamMembers: 2 },
    });
    expect(h.config.defaultTeamMembers).toBe(100);
  });

  it("with a live plan: source plan, limits from the plan; a child sees its parent's", async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const plan = await createPlan(h, await root.token(h), {
      features: { teamMembers: 2, posting: { postsPerDay: 20 }, socialAccounts: { total: 10 } },
    });
    await subscribed(h, parent, plan.id);
    const res = await h.get(ENTITLEMENTS, parent.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({
      accountId: parent.id,
      source: 'plan',
      plan: { id: plan.id, name: plan.name },
      limits: { teamMembers: 2, posting: { postsPerDay: 20 }, socialAccounts: { total: 10 } },
      usage: { teamMembers: 1 },
    });
    const asChild = await h.get(ENTITLEMENTS, child.token);
    expect(asChild.statusCode, asChild.body).toBe(200);
    expect(asChild.json().data).toMatchObject({
      accountId: parent.id,
      source: 'plan',
      limits: { teamMembers: 2 },
      usage: { teamMembers: 1 },
    });
  });

  it('an immediately cancelled subscription no longer counts: back to the default', async () => {
    const parent = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, parent, plan.id);
    expect((await h.get(ENTITLEMENTS, parent.token)).json().data.source).toBe('plan');
    expect((await h.post(CANCEL, { immediately: true }, parent.token)).statusCode).toBe(200);
    expect((await h.get(ENTITLEMENTS, parent.token)).json().data).toMatchObject({ source: 'default', limits: { teamMembers: 100 } });
  });

  it('teamMembers 2: the third child is 403 PLAN_LIMIT_REACHED', async () => {
    const parent = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { features: { teamMembers: 2 } });
    await subscribed(h, parent, plan.id);
    await h.createChild(parent);
    await h.createChild(parent);
    const third = await h.post(
      CHILDREN,
      { name: 'Third', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
      parent.token,
    );
    expect(third.statusCode, third.body).toBe(403);
    expect(third.json()).toMatchObject({ status: false, code: 'PLAN_LIMIT_REACHED' });
    expect(await countRows(h, 'users', 'parent_id = $1', [parent.id])).toBe(2);
    // upgrading lifts the limit
    const bigger = await createPlan(h, await root.token(h), { features: { teamMembers: 3 } });
    expect((await update(parent, { planId: bigger.id })).statusCode).toBe(200);
    const now = await h.post(
      CHILDREN,
      { name: 'Third', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
      parent.token,
    );
    expect(now.statusCode, now.body).toBe(201);
  });

  it('5 concurrent child creations with a limit of 2: exactly 2 succeed, the rest 403 PLAN_LIMIT_REACHED', async () => {
    const parent = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { features: { teamMembers: 2 } });
    await subscribed(h, parent, plan.id);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        h.post(CHILDREN, { name: `Racer ${i}`, email: uniqueEmail('racer'), password: 'child password 1', permissions: [] }, parent.token),
      ),
    );
    const codes = statuses(results);
    expect(codes, results.map((r) => r.body).join('\n')).toEqual([201, 201, 403, 403, 403]);
    for (const r of results) if (r.statusCode === 403) expect(r.json().code).toBe('PLAN_LIMIT_REACHED');
    expect(await countRows(h, 'users', 'parent_id = $1', [parent.id])).toBe(2);
  });

  it('without a subscription the default allowance applies (DEFAULT_TEAM_MEMBERS=1: one child, then 403)', async () => {
    const s = await h.sibling({ DEFAULT_TEAM_MEMBERS: '1' });
    try {
      const parent = await h.registerUser();
      const first = await s.post(
        CHILDREN,
        { name: 'One', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
        parent.token,
      );
      expect(first.statusCode, first.body).toBe(201);
      const second = await s.post(
        CHILDREN,
        { name: 'Two', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
        parent.token,
      );
      expect(second.statusCode, second.body).toBe(403);
      expect(second.json().code).toBe('PLAN_LIMIT_REACHED');
      const ent = await s.get(ENTITLEMENTS, parent.token);
      expect(ent.json().data).toMatchObject({ source: 'default', limits: { teamMembers: 1 }, usage: { teamMembers: 1 } });
      // a plan's allowance replaces the default
      const plan = await createPlan(h, await root.token(h), { features: { teamMembers: 2 } });
      await subscribed(h, parent, plan.id);
      const third = await s.post(
        CHILDREN,
        { name: 'Two', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
        parent.token,
      );
      expect(third.statusCode, third.body).toBe(201);
    } finally {
      await s.app.close();
    }
  });
});

describe('notifications', () => {
  interface Note {
    id: string;
    message: string;
    date: string;
    read: boolean;
  }

  async function notes(user: TestUser, query = ''): Promise<Response> {
    const res = await h.get(`${NOTIFICATIONS}${query}`, user.token);
    expect(res.statusCode, res.body).toBe(200);
    return res;
  }

  /** subscribe, change plan, cancel: one second apart */
  async function threeEvents(user: TestUser): Promise<void> {
    const a = await createPlan(h, await root.token(h), { displayName: 'Alpha Plan' });
    const b = await createPlan(h, await root.token(h), { displayName: 'Beta Plan' });
    await subscribed(h, user, a.id);
    h.clock.advance(SECOND);
    expect((await update(user, { planId: b.id })).statusCode).toBe(200);
    h.clock.advance(SECOND);
    expect((await h.post(CANCEL, { reason: 'done' }, user.token)).statusCode).toBe(200);
  }

  it('subscribe, change and cancel each notify the user: newest first, HNG envelope, {id, message, date, read}', async () => {
    h.clock.set(new Date(START));
    const user = await h.registerUser();
    const other = await h.registerUser();
    await threeEvents(user);
    const res = await notes(user);
    const body = res.json();
    expect(body).toMatchObject({ status: true, message: 'Fetched notifications successfully' });
    const data = body.data as Note[];
    expect(data).toHaveLength(3);
    for (const n of data) {
      expect(typeof n.id).toBe('string');
      expect(typeof n.message).toBe('string');
      expect(n.message.length).toBeGreaterThan(0);
      expect(new Date(n.date).toISOString()).toBe(n.date);
      expect(n.read).toBe(false);
    }
    expect(data.map((n) => n.date)).toEqual([
      new Date(Date.parse(START) + 2 * SECOND).toISOString(),
      new Date(Date.parse(START) + SECOND).toISOString(),
      START,
    ]);
    expect(data[0]!.message).toMatch(/cancel/i);
    expect(data[1]!.message).toMatch(/Beta Plan/);
    expect(data[2]!.message).toMatch(/Alpha Plan/);
    expect(body.meta).toMatchObject({ total: 3 });
    // another user sees none of them
    expect((await notes(other)).json().data).toEqual([]);
  });

  it('paginates with ?page and ?limit, meta.total counting all', async () => {
    const user = await h.registerUser();
    await threeEvents(user);
    const all = (await notes(user)).json().data as Note[];
    const p1 = (await notes(user, '?page=1&limit=2')).json();
    expect(p1.data.map((n: Note) => n.id)).toEqual(all.slice(0, 2).map((n) => n.id));
    expect(p1.meta).toMatchObject({ page: 1, limit: 2, total: 3 });
    const p2 = (await notes(user, '?page=2&limit=2')).json();
    expect(p2.data.map((n: Note) => n.id)).toEqual(all.slice(2).map((n) => n.id));
    expect(p2.meta).toMatchObject({ page: 2, limit: 2, total: 3 });
    const p3 = (await notes(user, '?page=3&limit=2')).json();
    expect(p3.data).toEqual([]);
    expect(p3.meta.total).toBe(3);
  });

  it("mark one read (another user's id is 404), unread count, mark all read", async () => {
    const user = await h.registerUser();
    const other = await h.registerUser();
    await threeEvents(user);
    const all = (await notes(user)).json().data as Note[];
    const target = all[1]!;

    const unread0 = await h.get('/api/v1/notifications/unread-count', user.token);
    expect(unread0.statusCode, unread0.body).toBe(200);
    expect(unread0.json().data.unread).toBe(3);

    const foreign = await h.patch(`/api/v1/notifications/${target.id}/read`, undefined, other.token);
    expect(foreign.statusCode, foreign.body).toBe(404);
    expect((await h.patch(`/api/v1/notifications/${UNKNOWN_ID}/read`, undefined, user.token)).statusCode).toBe(404);
    expect((await h.patch('/api/v1/notifications/not-a-uuid/read', undefined, user.token)).statusCode).toBe(404);
    expect(((await notes(user)).json().data as Note[]).every((n) => !n.read)).toBe(true);

    const mark = await h.patch(`/api/v1/notifications/${target.id}/read`, undefined, user.token);
    expect(mark.statusCode, mark.body).toBe(200);
    const after = (await notes(user)).json().data as Note[];
    expect(after.find((n) => n.id === target.id)!.read).toBe(true);
    expect(after.filter((n) => n.read)).toHaveLength(1);
    expect((await h.get('/api/v1/notifications/unread-count', user.token)).json().data.unread).toBe(2);

    const readAll = await h.post('/api/v1/notifications/read-all', undefined, user.token);
    expect(readAll.statusCode, readAll.body).toBe(200);
    expect(((await notes(user)).json().data as Note[]).every((n) => n.read)).toBe(true);
    expect((await h.get('/api/v1/notifications/unread-count', user.token)).json().data.unread).toBe(0);
  });

  it('notification endpoints need a user token', async () => {
    expect((await h.get(NOTIFICATIONS)).statusCode).toBe(401);
    expect((await h.get('/api/v1/notifications/unread-count')).statusCode).toBe(401);
    expect((await h.post('/api/v1/notifications/read-all')).statusCode).toBe(401);
    expect((await h.patch(`/api/v1/notifications/${UNKNOWN_ID}/read`)).statusCode).toBe(401);
    expect((await h.get(NOTIFICATIONS, await root.token(h))).statusCode).toBe(403);
  });

  it('?limit and ?page are validated (422), never 500', async () => {
    const user = await h.registerUser();
    for (const q of ['?limit=0', '?limit=101', '?page=0', '?page=abc']) {
      const res = await h.get(`${NOTIFICATIONS}${q}`, user.token);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(422);
    }
  });

  it('a password change creates a notification', async () => {
    const user = await h.registerUser();
    expect((await notes(user)).json().data).toEqual([]);
    const res = await h.post(
      '/api/v1/auth/change-password',
      { old_password: user.password, new_password: 'another fine password' },
      user.token,
    );
    expect(res.statusCode, res.body).toBe(200);
    const token = res.json().token as string;
    const list = await h.get(NOTIFICATIONS, token);
    expect(list.statusCode, list.body).toBe(200);
    const data = list.json().data as Note[];
    expect(data).toHaveLength(1);
    expect(data[0]!.message).toMatch(/password/i);
  });

  it('writes the notification in the same transaction as the event: when it cannot be written, nothing is subscribed', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    // make every new notification fail to insert
    await h.db.exec('alter table notifications add constraint t_block check (false) not valid');
    try {
      const res = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' });
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(await allRows(user.id)).toBe(0);
      expect(await eventCount(user.id, 'subscribed')).toBe(0);
      // the database was emptied before this test: any event at all would be this one's
      expect(await countRows(h, 'subscription_events')).toBe(0);
    } finally {
      await h.db.exec('alter table notifications drop constraint t_block');
    }
  });

  it('a subscribe that fails writes no notification', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { status: 'inactive' });
    expect((await subscribe(user, { planId: plan.id, billingCycle: 'monthly' })).statusCode).toBe(422);
    expect((await notes(user)).json().data).toEqual([]);
  });
});
