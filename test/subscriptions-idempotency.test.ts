import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countRows, createPlan, rootSession, subscribed } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';
import { GET_SUB, historyTypes, SECOND, statuses, subscriptionHelpers } from './helpers/subscriptions.js';

/**
 * Subscriptions under concurrency (one live subscription per user, held by the database) and
 * Idempotency-Key on subscribe and update.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

/** The superadmin (bootstrapped once per test, after the reset), logged in; again once the test clock has moved (tokens live an hour on it). */
const root = rootSession({ maxAgeMs: 30 * 60 * SECOND });
const { subscribe, update, liveRows, allRows, eventCount } = subscriptionHelpers(() => h);

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
    // the same words whether the explicit check or the unique index (a concurrent twin on PostgreSQL) refused it
    for (const r of results)
      if (r.statusCode === 409)
        expect(r.json()).toMatchObject({
          code: 'CONFLICT',
          message: 'There is already a live subscription; change it with the update endpoint',
        });
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
