import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPlan, fieldsOf, rootSession } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';
import {
  ADMIN_PLANS,
  ADMIN_PLANS_V1,
  basicBody,
  bothFeaturesBody,
  CANON,
  customFeaturesUrl,
  deleteUrl,
  expectError,
  expectPremium,
  HNG,
  NOT_FOUND,
  names,
  PUBLIC_PLANS,
  planBody,
  planFeaturesUrl,
  planHelpers,
  premiumBody,
  SEED_CUSTOM_FEATURES,
  statusUrl,
  UNKNOWN_ID,
} from './helpers/plans.js';

/**
 * Changing plans at every documented spelling: full update, custom features, features, status and
 * delete (a deleted plan keeps existing subscriptions running).
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

/** the superadmin (SUPERADMIN), logged in once per test */
const root = rootSession();
const { userToken, stored, auditRows } = planHelpers(() => h);

describe('full update: PUT /api/admin/subscription/plans/{planId}', () => {
  it("replaces everything with the seed's basic body (200), audited as plan.update", async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), { ...premiumBody(), customFeatures: ['Something extra'] });
    const res = await h.put(`${ADMIN_PLANS}/${plan.id}`, basicBody(), token);
    expect(res.statusCode, res.body).toBe(200);
    const data = res.json().data;
    const seed = basicBody();
    expect(data).toMatchObject({
      id: plan.id,
      name: 'basic',
      displayName: 'Basic Plan',
      price: { monthly: { amount: 29.99, currency: 'USD' }, yearly: { amount: 299.99, currency: 'USD', savings: 59.89 } },
      recommended: false,
      category: 'basic',
      status: 'active',
    });
    // replaced, not merged: nothing of premium's features or custom features is left
    expect(data.features).toEqual(seed.features);
    expect(data.customFeatures).toEqual([]);
    expect((await stored(plan.id))!.yearly_savings).toBe('5989');

    const got = (await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).json().data;
    expect(got.features).toEqual(seed.features);
    expect(got.name).toBe('basic');

    const audit = await auditRows('plan.update', plan.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.target_type).toBe('plan');
  });

  it('also at the canonical PUT /api/v1/admin/plans/{planId}', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const res = await h.put(`${CANON}/${plan.id}`, basicBody(), await root.token(h));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.name).toBe('basic');
  });

  it("renaming to another plan's name (any case) is 409 and changes nothing; keeping its own name is fine", async () => {
    const token = await root.token(h);
    const premium = await createPlan(h, await root.token(h), premiumBody());
    await createPlan(h, await root.token(h), basicBody());
    expectError(await h.put(`${ADMIN_PLANS}/${premium.id}`, basicBody(), token), 409, 'CONFLICT');
    expectError(await h.put(`${ADMIN_PLANS}/${premium.id}`, { ...basicBody(), name: 'BASIC' }, token), 409, 'CONFLICT');
    expectPremium((await h.get(`${ADMIN_PLANS}/${premium.id}`, token)).json().data);
    expect(await auditRows('plan.update')).toHaveLength(0);

    const same = await h.put(`${ADMIN_PLANS}/${premium.id}`, { ...premiumBody(), displayName: 'Premium, renamed' }, token);
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json().data.displayName).toBe('Premium, renamed');
  });

  it('an unknown plan is 404; an invalid body is 422; a user token 403', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    expectError(await h.put(`${ADMIN_PLANS}/${UNKNOWN_ID}`, basicBody(), token), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.put(`${ADMIN_PLANS}/not-a-uuid`, basicBody(), token), 404, 'NOT_FOUND');
    const bad = basicBody();
    bad.price.monthly.amount = 1.005;
    expectError(await h.put(`${ADMIN_PLANS}/${plan.id}`, bad, token), 422, 'VALIDATION_FAILED');
    expectError(await h.put(`${ADMIN_PLANS}/${plan.id}`, basicBody(), await userToken()), 403, 'FORBIDDEN');
    expectPremium((await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).json().data);
  });
});

describe('custom features: PATCH /api/admin/subscription/plans/{planId}/features', () => {
  it("replaces customFeatures only (the seed's body), audited as plan.custom_features", async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), { ...premiumBody(), customFeatures: ['Old one', 'Old two'] });
    const res = await h.patch(customFeaturesUrl(plan.id), { customFeatures: SEED_CUSTOM_FEATURES }, token);
    expect(res.statusCode, res.body).toBe(200);
    const data = res.json().data;
    expect(data.customFeatures).toEqual(SEED_CUSTOM_FEATURES);
    // everything else as it was
    expectPremium(data);
    const got = (await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).json().data;
    expect(got.customFeatures).toEqual(SEED_CUSTOM_FEATURES);
    expectPremium(got);
    expect(await auditRows('plan.custom_features', plan.id)).toHaveLength(1);

    // an empty list clears them
    const cleared = await h.patch(customFeaturesUrl(plan.id), { customFeatures: [] }, token);
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json().data.customFeatures).toEqual([]);
  });

  it('also at the canonical PATCH /api/v1/admin/plans/{planId}/custom-features', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const res = await h.patch(`${CANON}/${plan.id}/custom-features`, { customFeatures: ['One'] }, await root.token(h));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.customFeatures).toEqual(['One']);
  });

  it('422 without customFeatures or with a non-list; 404 for an unknown plan; 403 for a user', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const missing = await h.patch(customFeaturesUrl(plan.id), {}, token);
    expectError(missing, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(missing)).toContain('customFeatures');
    expectError(await h.patch(customFeaturesUrl(plan.id), { customFeatures: [''] }, token), 422, 'VALIDATION_FAILED');
    expectError(await h.patch(customFeaturesUrl(UNKNOWN_ID), { customFeatures: ['x'] }, token), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.patch(customFeaturesUrl(plan.id), { customFeatures: ['x'] }, await userToken()), 403, 'FORBIDDEN');
    expectError(await h.patch(customFeaturesUrl(plan.id), { customFeatures: ['x'] }), 401);
    expect((await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).json().data.customFeatures).toEqual([]);
  });
});

describe('features: PUT /api/subscriptions/plan-features/{planId}', () => {
  it("with the seed's 'update both features' body: customFeatures replaced, features merged (keys not given stay)", async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), { ...premiumBody(), customFeatures: ['Old'] });
    const body = bothFeaturesBody();
    const res = await h.put(planFeaturesUrl(plan.id), body, token);
    expect(res.statusCode, res.body).toBe(200);
    const data = res.json().data;
    expect(data.customFeatures).toEqual(body.customFeatures);
    // every key given replaced; `additional`, not in the body, kept
    expect(data.features).toEqual({ ...body.features, additional: premiumBody().features.additional });
    // the rest of the plan untouched
    expect(data).toMatchObject({ name: 'premium', displayName: 'Premium Plan', category: 'enterprise', recommended: true });
    expect(data.price.monthly.amount).toBe(29.99);
    expect((await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).json().data.features).toEqual(data.features);
    expect(await auditRows('plan.features', plan.id)).toHaveLength(1);
  });

  it("with the seed's 'update standard feature' body only teamMembers and support change", async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), { ...premiumBody(), customFeatures: ['Keep me'] });
    const res = await h.put(planFeaturesUrl(plan.id), { features: { teamMembers: 15, support: '24/7' } }, token);
    expect(res.statusCode, res.body).toBe(200);
    const before = premiumBody().features;
    const data = res.json().data;
    expect(data.features.teamMembers).toBe(15);
    expect(data.features.support).toBe('24/7');
    expect(data.features.posting).toEqual(before.posting);
    expect(data.features.analytics).toEqual(before.analytics);
    expect(data.features.socialAccounts).toEqual(before.socialAccounts);
    expect(data.features.additional).toEqual(before.additional);
    expect(data.customFeatures).toEqual(['Keep me']);

    const second = await h.put(planFeaturesUrl(plan.id), { features: { support: 'email' } }, token);
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json().data.features).toEqual({ ...before, teamMembers: 15, support: 'email' });
    expect((await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).json().data.features).toEqual({
      ...before,
      teamMembers: 15,
      support: 'email',
    });
  });

  it('customFeatures alone replaces the list and leaves features as they were', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const res = await h.put(planFeaturesUrl(plan.id), { customFeatures: ['Only this'] }, token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.customFeatures).toEqual(['Only this']);
    expect(res.json().data.features).toEqual(premiumBody().features);
  });

  it('also at the canonical PATCH /api/v1/admin/plans/{planId}/features', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const res = await h.patch(`${CANON}/${plan.id}/features`, { features: { teamMembers: 7 } }, await root.token(h));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.features).toEqual({ ...premiumBody().features, teamMembers: 7 });
  });

  it('{} is 422; invalid feature values are 422; unknown plan 404; user token 403; nothing changes', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    expectError(await h.put(planFeaturesUrl(plan.id), {}, token), 422, 'VALIDATION_FAILED');
    const neg = await h.put(planFeaturesUrl(plan.id), { features: { teamMembers: -1 } }, token);
    expectError(neg, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(neg)).toContain('features.teamMembers');
    expectError(await h.put(planFeaturesUrl(plan.id), { features: { teamMembers: 2.5 } }, token), 422, 'VALIDATION_FAILED');
    expectError(await h.put(planFeaturesUrl(UNKNOWN_ID), { features: { teamMembers: 1 } }, token), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.put(planFeaturesUrl(plan.id), { features: { teamMembers: 1 } }, await userToken()), 403, 'FORBIDDEN');
    expectError(await h.put(planFeaturesUrl(plan.id), { features: { teamMembers: 1 } }), 401);
    expect((await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).json().data.features).toEqual(premiumBody().features);
    expect(await auditRows('plan.features')).toHaveLength(0);
  });
});

describe('status: POST /api/subscription/admin/plans/{planId}/status', () => {
  it('inactive, then back to active (200 each, audited as plan.status); anything else 422', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const off = await h.post(statusUrl(plan.id), { status: 'inactive' }, token);
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json().data.status).toBe('inactive');
    expect(off.json().data.id).toBe(plan.id);
    expect((await stored(plan.id))!.status).toBe('inactive');
    // an inactive plan still reads for an admin
    expect((await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).json().data.status).toBe('inactive');

    for (const status of ['paused', 'deleted', 'ACTIVE', '', null]) {
      expectError(await h.post(statusUrl(plan.id), { status }, token), 422, 'VALIDATION_FAILED');
    }
    expectError(await h.post(statusUrl(plan.id), {}, token), 422, 'VALIDATION_FAILED');
    expect((await stored(plan.id))!.status).toBe('inactive');

    const on = await h.post(statusUrl(plan.id), { status: 'active' }, token);
    expect(on.statusCode, on.body).toBe(200);
    expect(on.json().data.status).toBe('active');
    expect((await stored(plan.id))!.status).toBe('active');

    const audit = await auditRows('plan.status', plan.id);
    expect(audit.map((a) => a.detail.status)).toEqual(['inactive', 'active']);
  });

  it('also at the canonical POST /api/v1/admin/plans/{planId}/status', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const res = await h.post(`${CANON}/${plan.id}/status`, { status: 'inactive' }, await root.token(h));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.status).toBe('inactive');
  });

  it('an inactive plan takes no new subscriptions', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    await h.post(statusUrl(plan.id), { status: 'inactive' }, await root.token(h));
    const res = await h.post('/api/v1/users/subscribe', { planId: plan.id, billingCycle: 'monthly' }, await userToken());
    expect([404, 409, 422]).toContain(res.statusCode);
  });

  it('unknown plan 404; user token 403; no token 401', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    expectError(await h.post(statusUrl(UNKNOWN_ID), { status: 'inactive' }, await root.token(h)), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.post(statusUrl(plan.id), { status: 'inactive' }, await userToken()), 403, 'FORBIDDEN');
    expectError(await h.post(statusUrl(plan.id), { status: 'inactive' }), 401);
    expect((await stored(plan.id))!.status).toBe('active');
  });
});

describe('delete: DELETE /api/subscription/admin/plans/{planId}', () => {
  it("soft-deletes (the seed's body is ignored): gone from get, listings and PUT; the name is free again; a second delete is 404", async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const other = await createPlan(h, await root.token(h), planBody('starter', { category: 'enterprise' }));

    const res = await h.delete(deleteUrl(plan.id), token, { status: 'inactive' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe(true);

    expectError(await h.get(`${ADMIN_PLANS}/${plan.id}`, token), 404, 'NOT_FOUND', NOT_FOUND);
    expect(names(await h.get(ADMIN_PLANS_V1, token))).toEqual(['starter']);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?status=inactive`, token))).toEqual([]);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?name=premium`, token))).toEqual([]);
    expect(names(await h.get(PUBLIC_PLANS))).toEqual(['starter']);
    expect(names(await h.get(`${PUBLIC_PLANS}/category/enterprise`))).toEqual(['starter']);
    expect((await h.get(HNG)).json().data.map((p: { id: string }) => p.id)).toEqual([other.id]);

    expectError(await h.put(`${ADMIN_PLANS}/${plan.id}`, basicBody(), token), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.patch(customFeaturesUrl(plan.id), { customFeatures: ['x'] }, token), 404, 'NOT_FOUND');
    expectError(await h.put(planFeaturesUrl(plan.id), { features: { teamMembers: 1 } }, token), 404, 'NOT_FOUND');
    expectError(await h.post(statusUrl(plan.id), { status: 'active' }, token), 404, 'NOT_FOUND');
    expectError(await h.delete(deleteUrl(plan.id), token, { status: 'inactive' }), 404, 'NOT_FOUND', NOT_FOUND);

    // a soft delete: the row is still there, marked
    const row = await stored(plan.id);
    expect(row).toBeDefined();
    expect(row!.deleted_at).not.toBeNull();

    // the name can be used again
    const again = await h.post(ADMIN_PLANS, premiumBody(), token);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().data.id).not.toBe(plan.id);

    const audit = await auditRows('plan.delete', plan.id);
    expect(audit).toHaveLength(1);
  });

  it('also at the canonical DELETE /api/v1/admin/plans/{planId}', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const token = await root.token(h);
    expect((await h.delete(`${CANON}/${plan.id}`, token)).statusCode).toBe(200);
    expectError(await h.get(`${CANON}/${plan.id}`, token), 404, 'NOT_FOUND');
  });

  it('existing subscriptions keep running; a new subscription to the deleted plan is 404', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const subscriber = await userToken();
    const sub = await h.post('/api/v1/users/subscribe', { planId: plan.id, billingCycle: 'monthly' }, subscriber);
    expect(sub.statusCode, sub.body).toBe(200);

    expect((await h.delete(deleteUrl(plan.id), token, { status: 'inactive' })).statusCode).toBe(200);

    const mine = await h.get('/api/v1/users/subscription', subscriber);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json().data).toMatchObject({
      planId: plan.id,
      status: 'active',
      plan: { name: 'premium' },
      price: { amount: 29.99, currency: 'USD' },
    });

    const newcomer = await userToken();
    expectError(
      await h.post('/api/v1/users/subscribe', { planId: plan.id, billingCycle: 'monthly' }, newcomer),
      404,
      'NOT_FOUND',
      NOT_FOUND,
    );
    expectError(await h.post(`/api/subscribe/${plan.id}`, {}, newcomer), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.get('/api/v1/users/subscription', newcomer), 404);
  });

  it('HNG POST /api/subscribe/{plan_id} as documented (no body) to a deleted plan is 404 "Subscription plan not found"', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    expect((await h.delete(deleteUrl(plan.id), await root.token(h))).statusCode).toBe(200);
    expectError(await h.post(`/api/subscribe/${plan.id}`, undefined, await userToken()), 404, 'NOT_FOUND', NOT_FOUND);
  });

  it('unknown 404; malformed 404; user token 403; no token 401', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    expectError(await h.delete(deleteUrl(UNKNOWN_ID), token), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.delete(deleteUrl('abc'), token), 404, 'NOT_FOUND');
    expectError(await h.delete(deleteUrl(plan.id), await userToken(), { status: 'inactive' }), 403, 'FORBIDDEN');
    expectError(await h.delete(deleteUrl(plan.id)), 401);
    expect((await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).statusCode).toBe(200);
    expect(await auditRows('plan.delete')).toHaveLength(0);
  });
});
