import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { subscriptionsRepository } from '../src/modules/subscriptions/repository.js';
import { createPlan, relogin, rootSession, subscribed } from './helpers/fixtures.js';
import { Harness, type Response, type TestUser } from './helpers/harness.js';

/**
 * Renewal and expiry (issue 4, "Renewal and expiry"; contract §5): the worker renews live
 * subscriptions whose period has ended, anchored to the first day so month ends do not drift,
 * brings several overdue periods current in one step and expires the cancelled ones. Exactly once
 * with several workers is in renewals-concurrency.test.ts. Time moves through the injected manual clock.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const RENEWED = 'Your subscription has been renewed';

/** The superadmin, logged in (again when the test clock has moved past the token's life). */
const root = rootSession({ maxAgeMs: 30 * MINUTE });

async function current(user: TestUser): Promise<Response> {
  return h.get('/api/v1/users/subscription', (await relogin(h, user)).token);
}

async function notifications(user: TestUser): Promise<{ id: string; message: string; date: string; read: boolean }[]> {
  const res = await h.get('/api/notifications?limit=100', (await relogin(h, user)).token);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().message).toBe('Fetched notifications successfully');
  return res.json().data;
}

async function events(subscriptionId: string): Promise<{ type: string; detail: Record<string, unknown>; created_at: Date }[]> {
  const { rows } = await h.db.query<{ type: string; detail: Record<string, unknown>; created_at: Date }>(
    'select type, detail, created_at from subscription_events where subscription_id = $1 order by id',
    [subscriptionId],
  );
  return rows;
}

async function row(subscriptionId: string) {
  const { rows } = await h.db.query<{
    status: string;
    current_period_start: Date;
    current_period_end: Date;
    ended_at: Date | null;
    plan_id: string;
  }>('select status, current_period_start, current_period_end, ended_at, plan_id from subscriptions where id = $1', [subscriptionId]);
  return rows[0]!;
}

function types(history: { type: string }[]): string[] {
  return history.map((e) => e.type);
}

describe('renewal', () => {
  it('renews a monthly subscription once its period has ended: same subscription, next month, event, notification; once only', async () => {
    h.clock.set(new Date('2026-03-10T09:30:00.000Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    expect(sub.currentPeriodEnd).toBe('2026-04-10T09:30:00.000Z');

    // not due yet: a pass a minute before the end changes nothing
    h.clock.set(new Date('2026-04-10T09:29:00.000Z'));
    await h.app.worker.runOnce();
    expect((await current(user)).json().data.currentPeriodEnd).toBe('2026-04-10T09:30:00.000Z');
    expect((await notifications(user)).filter((n) => n.message === RENEWED)).toHaveLength(0);

    h.clock.set(new Date('2026-04-10T10:00:00.000Z'));
    await h.app.worker.runOnce();
    const res = await current(user);
    expect(res.statusCode, res.body).toBe(200);
    const renewed = res.json().data;
    expect(renewed).toMatchObject({
      id: sub.id,
      status: 'active',
      billingCycle: 'monthly',
      currentPeriodStart: '2026-04-10T09:30:00.000Z',
      currentPeriodEnd: '2026-05-10T09:30:00.000Z',
      cancelAtPeriodEnd: false,
    });
    expect(types(renewed.history)).toEqual(['subscribed', 'renewed']);
    expect(renewed.history[1].detail).toMatchObject({ periods: 1 });

    const notes = await notifications(user);
    const renewals = notes.filter((n) => n.message === RENEWED);
    expect(renewals).toHaveLength(1);
    expect(renewals[0]!.date).toBe('2026-04-10T10:00:00.000Z');
    expect(notes[0]!.message).toBe(RENEWED); // newest first

    // a second pass does nothing more
    h.clock.advance(MINUTE);
    await h.app.worker.runOnce();
    expect(await h.app.services.subscriptions.runDue()).toEqual({ renewed: 0, expired: 0 });
    expect((await events(sub.id)).filter((e) => e.type === 'renewed')).toHaveLength(1);
    expect((await notifications(user)).filter((n) => n.message === RENEWED)).toHaveLength(1);
    expect((await current(user)).json().data.currentPeriodEnd).toBe('2026-05-10T09:30:00.000Z');
  });

  it('a subscription whose period ends exactly now is due; the new period starts at the old end', async () => {
    h.clock.set(new Date('2026-05-05T00:00:00.000Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    h.clock.set(new Date(sub.currentPeriodEnd));
    expect(await h.app.services.subscriptions.runDue()).toEqual({ renewed: 1, expired: 0 });
    const r = await row(sub.id);
    expect(r.current_period_start.toISOString()).toBe('2026-06-05T00:00:00.000Z');
    expect(r.current_period_end.toISOString()).toBe('2026-07-05T00:00:00.000Z');
  });

  it('each renewal is counted by runDue and renews only what is due', async () => {
    h.clock.set(new Date('2026-01-01T00:00:00.000Z'));
    const a = await h.registerUser();
    const b = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, a, plan.id, 'monthly');
    const yearly = await subscribed(h, b, plan.id, 'yearly');
    h.clock.set(new Date('2026-02-01T00:00:01.000Z'));
    expect(await h.app.services.subscriptions.runDue()).toEqual({ renewed: 1, expired: 0 });
    expect((await row(yearly.id)).current_period_end.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(await events(yearly.id)).toHaveLength(1);
  });
});

describe('month ends and leap days', () => {
  it('31 January: ends 28 February, then 31 March (anchored to the first day, no drift to the 28th)', async () => {
    h.clock.set(new Date('2026-01-31T10:00:00Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    expect(sub.currentPeriodStart).toBe('2026-01-31T10:00:00.000Z');
    expect(sub.currentPeriodEnd).toBe('2026-02-28T10:00:00.000Z');

    h.clock.set(new Date('2026-02-28T10:00:01Z'));
    await h.app.worker.runOnce();
    let data = (await current(user)).json().data;
    expect(data.currentPeriodStart).toBe('2026-02-28T10:00:00.000Z');
    expect(data.currentPeriodEnd).toBe('2026-03-31T10:00:00.000Z');

    h.clock.set(new Date('2026-03-31T10:00:01Z'));
    await h.app.worker.runOnce();
    data = (await current(user)).json().data;
    expect(data.currentPeriodStart).toBe('2026-03-31T10:00:00.000Z');
    expect(data.currentPeriodEnd).toBe('2026-04-30T10:00:00.000Z');

    h.clock.set(new Date('2026-04-30T10:00:01Z'));
    await h.app.worker.runOnce();
    data = (await current(user)).json().data;
    expect(data.currentPeriodEnd).toBe('2026-05-31T10:00:00.000Z');
    expect(types(data.history)).toEqual(['subscribed', 'renewed', 'renewed', 'renewed']);
  });

  it('yearly from 29 February 2028 ends 28 February 2029, then 28 February 2030', async () => {
    h.clock.set(new Date('2028-02-29T12:00:00Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id, 'yearly');
    expect(sub.currentPeriodEnd).toBe('2029-02-28T12:00:00.000Z');

    h.clock.set(new Date('2029-02-28T12:00:01Z'));
    await h.app.worker.runOnce();
    const data = (await current(user)).json().data;
    expect(data).toMatchObject({
      status: 'active',
      billingCycle: 'yearly',
      currentPeriodStart: '2029-02-28T12:00:00.000Z',
      currentPeriodEnd: '2030-02-28T12:00:00.000Z',
    });
  });

  it('period bounds and renewals are computed in UTC, whatever the session time zone', async () => {
    h.clock.set(new Date('2026-01-31T23:30:00Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    // 31 January 23:30 UTC is already 1 February in Tokyo; a local-time computation would give 1 March
    expect(sub.currentPeriodEnd).toBe('2026-02-28T23:30:00.000Z');
    const now = new Date('2026-03-01T00:00:00Z');
    h.clock.set(now);
    const renewed = await h.db.transaction(async (tx) => {
      await tx.query("set local timezone = 'Asia/Tokyo'");
      const bound = await tx.query<{ b: Date }>("select subscription_period_bound($1::timestamptz, 'monthly', 2) as b", [
        new Date('2026-01-31T23:30:00Z'),
      ]);
      expect(bound.rows[0]!.b.toISOString()).toBe('2026-03-31T23:30:00.000Z');
      return subscriptionsRepository.renewDue(tx, now, 1000);
    });
    expect(renewed).toHaveLength(1);
    const r = await row(sub.id);
    expect(r.current_period_start.toISOString()).toBe('2026-02-28T23:30:00.000Z');
    expect(r.current_period_end.toISOString()).toBe('2026-03-31T23:30:00.000Z');
  });
});

describe('several periods overdue', () => {
  it('a service down for five months brings the subscription current in one step: one event (periods 5), one notification', async () => {
    h.clock.set(new Date('2026-01-15T12:00:00.000Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);

    const now = new Date('2026-06-20T08:00:00.000Z');
    h.clock.set(now);
    await h.app.worker.runOnce();

    const data = (await current(user)).json().data;
    expect(data).toMatchObject({
      id: sub.id,
      status: 'active',
      currentPeriodStart: '2026-06-15T12:00:00.000Z',
      currentPeriodEnd: '2026-07-15T12:00:00.000Z',
    });
    expect(Date.parse(data.currentPeriodStart)).toBeLessThanOrEqual(now.getTime());
    expect(Date.parse(data.currentPeriodEnd)).toBeGreaterThan(now.getTime());

    const renewals = (await events(sub.id)).filter((e) => e.type === 'renewed');
    expect(renewals).toHaveLength(1);
    expect(renewals[0]!.detail.periods).toBe(5);
    expect((await notifications(user)).filter((n) => n.message === RENEWED)).toHaveLength(1);

    // and nothing is left to do
    expect(await h.app.services.subscriptions.runDue()).toEqual({ renewed: 0, expired: 0 });
  });

  it('a yearly subscription three years overdue lands in the year containing now', async () => {
    h.clock.set(new Date('2026-03-31T00:00:00.000Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id, 'yearly');
    h.clock.set(new Date('2029-04-01T00:00:00.000Z'));
    expect(await h.app.services.subscriptions.runDue()).toEqual({ renewed: 1, expired: 0 });
    const r = await row(sub.id);
    expect(r.current_period_start.toISOString()).toBe('2029-03-31T00:00:00.000Z');
    expect(r.current_period_end.toISOString()).toBe('2030-03-31T00:00:00.000Z');
    expect((await events(sub.id)).find((e) => e.type === 'renewed')!.detail.periods).toBe(3);
  });

  it('a month-end anchor several months overdue lands on the right month end', async () => {
    h.clock.set(new Date('2026-01-31T10:00:00.000Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    h.clock.set(new Date('2026-04-30T10:00:00.000Z')); // exactly the end of period 2 (Mar 31 → Apr 30)
    await h.app.services.subscriptions.runDue();
    const r = await row(sub.id);
    expect(r.current_period_start.toISOString()).toBe('2026-04-30T10:00:00.000Z');
    expect(r.current_period_end.toISOString()).toBe('2026-05-31T10:00:00.000Z');
    expect((await events(sub.id)).find((e) => e.type === 'renewed')!.detail.periods).toBe(3);
  });
});

describe('expiry', () => {
  it('a subscription cancelled at period end is usable until then, then expires: expired event, notification, GET 404', async () => {
    h.clock.set(new Date('2026-03-10T09:30:00.000Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    const cancel = await h.post('/api/v1/users/cancel-subscription', { reason: 'too pricey' }, user.token);
    expect(cancel.statusCode, cancel.body).toBe(200);

    // before the end: a pass leaves it alone, still usable
    h.clock.set(new Date('2026-04-10T09:00:00.000Z'));
    await h.app.worker.runOnce();
    const before = await current(user);
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json().data.status).toBe('canceled');

    h.clock.set(new Date('2026-04-10T10:00:00.000Z'));
    await h.app.worker.runOnce();
    expect((await current(user)).statusCode).toBe(404);
    const r = await row(sub.id);
    expect(r.status).toBe('expired');
    expect(r.ended_at?.toISOString()).toBe('2026-04-10T09:30:00.000Z');
    expect(types(await events(sub.id))).toEqual(['subscribed', 'cancelled', 'expired']);

    const notes = await notifications(user);
    expect(notes[0]!.message).toMatch(/expired/i);
    expect(notes.filter((n) => n.message === RENEWED)).toHaveLength(0);
    const expiredNotes = notes.filter((n) => /expired/i.test(n.message));
    expect(expiredNotes).toHaveLength(1);

    // once only, and never renewed
    h.clock.advance(40 * DAY);
    expect(await h.app.services.subscriptions.runDue()).toEqual({ renewed: 0, expired: 0 });
    expect(types(await events(sub.id))).toEqual(['subscribed', 'cancelled', 'expired']);
    expect((await notifications(user)).filter((n) => /expired/i.test(n.message))).toHaveLength(1);

    // and the user can subscribe again
    const fresh = await relogin(h, user);
    const again = await h.post('/api/v1/users/subscribe', { planId: plan.id, billingCycle: 'monthly' }, fresh.token);
    expect(again.statusCode, again.body).toBe(200);
  });

  it('an expired subscription gives the default allowance back to entitlements', async () => {
    h.clock.set(new Date('2026-03-10T09:30:00.000Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { features: { teamMembers: 7 } });
    await subscribed(h, user, plan.id);
    expect((await h.post('/api/v1/users/cancel-subscription', { reason: 'x' }, user.token)).statusCode).toBe(200);
    h.clock.set(new Date('2026-05-01T00:00:00.000Z'));
    await h.app.worker.runOnce();
    const ent = await h.get('/api/v1/users/entitlements', (await relogin(h, user)).token);
    expect(ent.json().data).toMatchObject({ source: 'default', limits: { teamMembers: h.config.defaultTeamMembers } });
  });

  it('a resumed subscription renews instead of expiring', async () => {
    h.clock.set(new Date('2026-03-10T09:30:00.000Z'));
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    const sub = await subscribed(h, user, plan.id);
    expect((await h.post('/api/v1/users/cancel-subscription', { reason: 'x' }, user.token)).statusCode).toBe(200);
    expect((await h.put('/api/v1/users/subscription/update', { planId: plan.id }, user.token)).statusCode).toBe(200);
    h.clock.set(new Date('2026-04-11T00:00:00.000Z'));
    expect(await h.app.services.subscriptions.runDue()).toEqual({ renewed: 1, expired: 0 });
    expect((await row(sub.id)).status).toBe('active');
  });
});

describe('plans that changed under a subscription', () => {
  it('renewal continues for a plan later soft-deleted, and for one made inactive', async () => {
    h.clock.set(new Date('2026-03-10T09:30:00.000Z'));
    const a = await h.registerUser();
    const b = await h.registerUser();
    const deleted = await createPlan(h, await root.token(h));
    const inactive = await createPlan(h, await root.token(h));
    const subA = await subscribed(h, a, deleted.id);
    const subB = await subscribed(h, b, inactive.id);

    const del = await h.delete(`/api/subscription/admin/plans/${deleted.id}`, await root.token(h), { status: 'inactive' });
    expect(del.statusCode, del.body).toBe(200);
    expect((await h.get(`/api/admin/subscription/plans/${deleted.id}`, await root.token(h))).statusCode).toBe(404);
    const st = await h.post(`/api/subscription/admin/plans/${inactive.id}/status`, { status: 'inactive' }, await root.token(h));
    expect(st.statusCode, st.body).toBe(200);

    h.clock.set(new Date('2026-04-10T10:00:00.000Z'));
    await h.app.worker.runOnce();

    for (const [user, sub, plan] of [
      [a, subA, deleted],
      [b, subB, inactive],
    ] as const) {
      const res = await current(user);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data).toMatchObject({
        id: sub.id,
        status: 'active',
        planId: plan.id,
        currentPeriodEnd: '2026-05-10T09:30:00.000Z',
        price: { amount: 10, currency: 'USD' },
      });
      expect(res.json().data.plan).toMatchObject({ id: plan.id });
      expect((await notifications(user)).filter((n) => n.message === RENEWED)).toHaveLength(1);
    }
  });
});
