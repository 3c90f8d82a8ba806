import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminWith, createPlan, fieldsOf, rootSession, SUPERADMIN } from './helpers/fixtures.js';
import { Harness, type Response } from './helpers/harness.js';

/**
 * The plan catalogue (issue 4, "Plan catalogue"): the SocioX admin endpoints at every documented
 * spelling (and the canonical routes at least once), the public pricing-page listings, and HNG's
 * simple `{id, name, price}` view of the same table with its exact messages. Subscriptions are only
 * touched where a plan rule reaches them (a deleted plan keeps existing subscriptions running).
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const UNKNOWN_ID = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const NOT_FOUND = 'Subscription plan not found';

// documented spellings (seeds/sociox-api.md, seeds/hng-stage2-api.md, contract §2)
const ADMIN_PLANS = '/api/admin/subscription/plans'; // POST, GET/PUT {planId}
const ADMIN_PLANS_V1 = '/api/v1/admin/subscription/plans'; // GET list
const customFeaturesUrl = (id: string) => `/api/admin/subscription/plans/${id}/features`; // PATCH
const planFeaturesUrl = (id: string) => `/api/subscriptions/plan-features/${id}`; // PUT
const statusUrl = (id: string) => `/api/subscription/admin/plans/${id}/status`; // POST
const deleteUrl = (id: string) => `/api/subscription/admin/plans/${id}`; // DELETE
const PUBLIC_PLANS = '/api/v1/subscription/plans';
const HNG = '/api/subscription';
// canonical routes
const CANON = '/api/v1/admin/plans';
const HNG_CANON = '/api/v1/subscription';

/** seeds/sociox-api.md "create plan", verbatim */
function premiumBody() {
  return {
    name: 'premium',
    displayName: 'Premium Plan',
    price: {
      monthly: { amount: 29.99, currency: 'USD' },
      yearly: { amount: 299.99, currency: 'USD', savings: 60 },
    },
    features: {
      socialAccounts: { total: 10, perPlatform: { facebook: 3, instagram: 3, twitter: 4 } },
      teamMembers: 5,
      posting: { postsPerDay: 20, bulkScheduling: true, autoScheduling: true },
      analytics: { reportTypes: ['basic', 'advanced'], exportFormats: ['pdf', 'csv'], retentionDays: 365 },
      support: '24/7',
      additional: { customBranding: true, apiAccess: true, contentCalendar: true, hashtagManager: true },
    },
    recommended: true,
    category: 'enterprise',
  };
}

/** seeds/sociox-api.md "update plan", verbatim */
function basicBody() {
  return {
    name: 'basic',
    displayName: 'Basic Plan',
    price: {
      monthly: { amount: 29.99, currency: 'USD' },
      yearly: { amount: 299.99, currency: 'USD', savings: 59.89 },
    },
    features: {
      socialAccounts: { total: 5, perPlatform: { facebook: 2, instagram: 2, twitter: 1 } },
      teamMembers: 3,
      posting: { postsPerDay: 10, bulkScheduling: true, autoScheduling: false },
      analytics: { reportTypes: ['basic', 'advanced'], exportFormats: ['pdf', 'csv'], retentionDays: 30 },
      support: 'email',
      additional: { customBranding: false, apiAccess: false, contentCalendar: true, hashtagManager: true },
    },
    recommended: false,
    category: 'basic',
  };
}

/** seeds/sociox-api.md "update both features", verbatim */
function bothFeaturesBody() {
  return {
    features: {
      socialAccounts: { total: 15, perPlatform: { facebook: 5, instagram: 5, twitter: 5 } },
      teamMembers: 10,
      posting: { postsPerDay: 50, bulkScheduling: true, autoScheduling: true },
      analytics: { reportTypes: ['basic', 'advanced'], exportFormats: ['pdf', 'csv'], retentionDays: 90 },
      support: 'priority',
    },
    customFeatures: ['White label reports', 'Custom URL shortener', 'Advanced team permissions'],
  };
}

/** seeds/sociox-api.md "update custom features", verbatim */
const SEED_CUSTOM_FEATURES = ['White label reports', 'Custom URL shortener', 'Advanced team permissions', 'API rate limit increase'];

/** A small valid plan that differs from the seed's in name (and whatever else is overridden). */
function planBody(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    displayName: `${name} plan`,
    price: { monthly: { amount: 9.5, currency: 'USD' } },
    features: { teamMembers: 2 },
    category: 'starter',
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// helpers

/** the superadmin (SUPERADMIN), logged in once per test */
const root = rootSession();

async function userToken(): Promise<string> {
  return (await h.registerUser()).token;
}

function expectError(res: Response, status: number, code?: string, message?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body.status).toBe(false);
  expect(typeof body.message).toBe('string');
  if (code) expect(body.code).toBe(code);
  if (message !== undefined) expect(body.message).toBe(message);
}

function names(res: Response): string[] {
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().data as { name: string }[]).map((p) => p.name).sort();
}

async function stored(id: string) {
  const { rows } = await h.db.query<Record<string, unknown>>(
    `select monthly_amount::text as monthly_amount, yearly_amount::text as yearly_amount, yearly_savings::text as yearly_savings,
            monthly_currency, status, deleted_at from plans where id = $1`,
    [id],
  );
  return rows[0];
}

async function auditRows(action: string, targetId?: string) {
  const { rows } = await h.db.query<{
    action: string;
    target_type: string;
    target_id: string | null;
    admin_email: string;
    detail: Record<string, unknown>;
  }>(
    `select action, target_type, target_id, admin_email, detail from audit_log where action = $1 ${targetId ? 'and target_id = $2' : ''} order by id`,
    targetId ? [action, targetId] : [action],
  );
  return rows;
}

function expectPremium(data: any): void {
  const seed = premiumBody();
  expect(data).toMatchObject({
    name: seed.name,
    displayName: seed.displayName,
    price: {
      monthly: { amount: 29.99, currency: 'USD' },
      yearly: { amount: 299.99, currency: 'USD', savings: 60 },
    },
    features: seed.features,
    recommended: true,
    category: 'enterprise',
    status: 'active',
  });
  expect(data.features).toEqual(seed.features);
  expect(data.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
}

// ---------------------------------------------------------------------------------------------

describe('create: POST /api/admin/subscription/plans', () => {
  it("creates the seed's premium plan: 201, the same values back (29.99 stays 29.99), integer cents stored, audited", async () => {
    const token = await root.token(h);
    const body = { ...premiumBody(), customFeatures: ['Priority onboarding', 'Dedicated manager'] };
    const res = await h.post(ADMIN_PLANS, body, token);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().status).toBe(true);
    const data = res.json().data;
    expectPremium(data);
    expect(data.customFeatures).toEqual(['Priority onboarding', 'Dedicated manager']);
    // exactly, not 29.990000000000002 or 2999
    expect(res.body).toContain('"amount":29.99');
    expect(res.body).toContain('"amount":299.99');

    const row = await stored(data.id);
    expect(row).toMatchObject({
      monthly_amount: '2999',
      yearly_amount: '29999',
      yearly_savings: '6000',
      monthly_currency: 'USD',
      status: 'active',
    });
    const { rows: types } = await h.db.query<{ t: string }>('select pg_typeof(monthly_amount)::text as t from plans where id = $1', [
      data.id,
    ]);
    expect(['bigint', 'integer']).toContain(types[0]!.t);

    // and it reads back the same
    const got = await h.get(`${ADMIN_PLANS}/${data.id}`, token);
    expect(got.statusCode, got.body).toBe(200);
    expectPremium(got.json().data);
    expect(got.json().data.customFeatures).toEqual(['Priority onboarding', 'Dedicated manager']);

    const audit = await auditRows('plan.create', data.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ target_type: 'plan', admin_email: SUPERADMIN.email });
  });

  it('also answers at the canonical POST /api/v1/admin/plans', async () => {
    const res = await h.post(CANON, premiumBody(), await root.token(h));
    expect(res.statusCode, res.body).toBe(201);
    expectPremium(res.json().data);
  });

  it('defaults: customFeatures [], status active; an amount like 0.1 or 1.15 round-trips exactly', async () => {
    const res = await h.post(
      ADMIN_PLANS,
      planBody('cheap', { price: { monthly: { amount: 1.15, currency: 'usd' }, yearly: { amount: 0.1, currency: 'EUR' } } }),
      await root.token(h),
    );
    expect(res.statusCode, res.body).toBe(201);
    const data = res.json().data;
    expect(data.customFeatures).toEqual([]);
    expect(data.status).toBe('active');
    expect(data.price.monthly).toEqual({ amount: 1.15, currency: 'USD' });
    expect(data.price.yearly.amount).toBe(0.1);
    expect((await stored(data.id))!.monthly_amount).toBe('115');
  });

  it('a duplicate name, in any case, is 409 and writes nothing', async () => {
    const token = await root.token(h);
    await createPlan(h, await root.token(h), premiumBody());
    for (const name of ['premium', 'PREMIUM', 'Premium']) {
      expectError(await h.post(ADMIN_PLANS, { ...premiumBody(), name }, token), 409, 'CONFLICT');
    }
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from plans');
    expect(rows[0]!.n).toBe(1);
    expect(await auditRows('plan.create')).toHaveLength(1);
  });

  it('refuses an amount with three decimals (422 naming price.monthly.amount), never rounding it', async () => {
    const body = premiumBody();
    body.price.monthly.amount = 29.999;
    const res = await h.post(ADMIN_PLANS, body, await root.token(h));
    expectError(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toContain('price.monthly.amount');

    const yearly = premiumBody();
    yearly.price.yearly.amount = 299.991;
    const res2 = await h.post(ADMIN_PLANS, yearly, await root.token(h));
    expectError(res2, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res2)).toContain('price.yearly.amount');

    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from plans');
    expect(rows[0]!.n).toBe(0);
  });

  it('refuses a negative amount or savings (422)', async () => {
    const token = await root.token(h);
    const body = premiumBody();
    body.price.monthly.amount = -1;
    const res = await h.post(ADMIN_PLANS, body, token);
    expectError(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toContain('price.monthly.amount');

    const savings = premiumBody();
    savings.price.yearly.savings = -5;
    const res2 = await h.post(ADMIN_PLANS, savings, token);
    expectError(res2, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res2)).toContain('price.yearly.savings');
  });

  it('refuses a currency that is not a three-letter code (422)', async () => {
    const token = await root.token(h);
    for (const currency of ['US', 'USDD', '12$', '']) {
      const body = premiumBody();
      body.price.monthly.currency = currency;
      const res = await h.post(ADMIN_PLANS, body, token);
      expectError(res, 422, 'VALIDATION_FAILED');
      expect(fieldsOf(res), currency).toContain('price.monthly.currency');
    }
  });

  it('refuses feature counts that are negative or not integers (422)', async () => {
    const token = await root.token(h);
    for (const teamMembers of [-1, 2.5]) {
      const body = premiumBody();
      body.features.teamMembers = teamMembers;
      const res = await h.post(ADMIN_PLANS, body, token);
      expectError(res, 422, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toContain('features.teamMembers');
    }
    const nested = premiumBody();
    nested.features.posting.postsPerDay = -3;
    const res = await h.post(ADMIN_PLANS, nested, token);
    expectError(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toContain('features.posting.postsPerDay');
  });

  it('refuses a price with neither monthly nor yearly, a missing price, a missing name, a bad status (422)', async () => {
    const token = await root.token(h);
    const noCycle = await h.post(ADMIN_PLANS, { ...premiumBody(), price: {} }, token);
    expectError(noCycle, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(noCycle).some((f) => f.startsWith('price'))).toBe(true);

    const { price: _p, ...noPrice } = premiumBody();
    const res = await h.post(ADMIN_PLANS, noPrice, token);
    expectError(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toContain('price');

    const { name: _n, ...noName } = premiumBody();
    const res2 = await h.post(ADMIN_PLANS, noName, token);
    expectError(res2, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res2)).toContain('name');

    expectError(await h.post(ADMIN_PLANS, { ...premiumBody(), status: 'paused' }, token), 422, 'VALIDATION_FAILED');
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from plans');
    expect(rows[0]!.n).toBe(0);
  });

  it('a yearly-only plan is valid: price.monthly is null', async () => {
    const res = await h.post(ADMIN_PLANS, planBody('annual', { price: { yearly: { amount: 100, currency: 'USD' } } }), await root.token(h));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().data.price).toEqual({ monthly: null, yearly: { amount: 100, currency: 'USD', savings: null } });
  });

  it('needs an admin token with manage_plans: none 401, user 403, admin without it 403, admin with it 201', async () => {
    expectError(await h.post(ADMIN_PLANS, premiumBody()), 401, 'UNAUTHENTICATED');
    expectError(await h.post(ADMIN_PLANS, premiumBody(), 'not-a-jwt'), 401);
    expectError(await h.post(ADMIN_PLANS, premiumBody(), await userToken()), 403, 'FORBIDDEN');
    const other = await adminWith(
      h,
      ['manage_users', 'view_user_details', 'manage_content', 'manage_subscriptions', 'view_analytics', 'view_audit_log'],
      { by: await root.token(h) },
    );
    expectError(await h.post(ADMIN_PLANS, premiumBody(), other.token), 403, 'FORBIDDEN');
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from plans');
    expect(rows[0]!.n).toBe(0);

    const staff = await adminWith(h, ['manage_plans'], { by: await root.token(h) });
    const res = await h.post(ADMIN_PLANS, premiumBody(), staff.token);
    expect(res.statusCode, res.body).toBe(201);
    const audit = await auditRows('plan.create', res.json().data.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.admin_email).toBe(staff.email);
  });
});

describe('concurrency', () => {
  it('concurrent creates of one name: exactly one 201, the rest 409, none 500', async () => {
    const token = await root.token(h);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => h.post(ADMIN_PLANS, { ...premiumBody(), name: i % 2 ? 'PREMIUM' : 'premium' }, token)),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([201, 409, 409, 409, 409]);
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from plans');
    expect(rows[0]!.n).toBe(1);
  });

  it('concurrent partial feature updates of one plan both survive (read-modify-write under a lock)', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const [a, b] = await Promise.all([
      h.put(planFeaturesUrl(plan.id), { features: { teamMembers: 15 } }, token),
      h.put(planFeaturesUrl(plan.id), { features: { support: 'email' } }, token),
    ]);
    expect(a.statusCode, a.body).toBe(200);
    expect(b.statusCode, b.body).toBe(200);
    const features = (await h.get(`${ADMIN_PLANS}/${plan.id}`, token)).json().data.features;
    expect(features).toEqual({ ...premiumBody().features, teamMembers: 15, support: 'email' });
  });
});

describe('get by id: GET /api/admin/subscription/plans/{planId}', () => {
  it('200 with the plan; also at the canonical GET /api/v1/admin/plans/{planId}', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const token = await root.token(h);
    for (const url of [`${ADMIN_PLANS}/${plan.id}`, `${CANON}/${plan.id}`]) {
      const res = await h.get(url, token);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().status).toBe(true);
      expect(res.json().data.id).toBe(plan.id);
      expectPremium(res.json().data);
    }
  });

  it('an unknown uuid is 404 "Subscription plan not found"; a malformed id is 404, never 500', async () => {
    const token = await root.token(h);
    await createPlan(h, await root.token(h), premiumBody());
    expectError(await h.get(`${ADMIN_PLANS}/${UNKNOWN_ID}`, token), 404, 'NOT_FOUND', NOT_FOUND);
    for (const bad of ['not-a-uuid', '507f1f77bcf86cd799439011', '1', "x'or'1'='1"]) {
      expectError(await h.get(`${ADMIN_PLANS}/${encodeURIComponent(bad)}`, token), 404, 'NOT_FOUND');
    }
  });

  it('needs an admin token (401 without, 403 with a user token)', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    expectError(await h.get(`${ADMIN_PLANS}/${plan.id}`), 401);
    expectError(await h.get(`${ADMIN_PLANS}/${plan.id}`, await userToken()), 403, 'FORBIDDEN');
  });
});

describe('list: GET /api/v1/admin/subscription/plans', () => {
  async function seedCatalogue() {
    const token = await root.token(h);
    const premium = await createPlan(h, await root.token(h), premiumBody());
    const premiumPlus = await createPlan(h, await root.token(h), planBody('premium-plus', { category: 'enterprise' }));
    const basic = await createPlan(h, await root.token(h), { ...basicBody() });
    const starter = await createPlan(h, await root.token(h), planBody('starter'));
    const off = await h.post(statusUrl(premiumPlus.id), { status: 'inactive' }, token);
    expect(off.statusCode, off.body).toBe(200);
    return { token, premium, premiumPlus, basic, starter };
  }

  it('lists every plan, inactive ones included, for an admin; also at the canonical GET /api/v1/admin/plans', async () => {
    const { token } = await seedCatalogue();
    const all = ['basic', 'premium', 'premium-plus', 'starter'];
    expect(names(await h.get(ADMIN_PLANS_V1, token))).toEqual(all);
    expect(names(await h.get(CANON, token))).toEqual(all);
    const res = await h.get(ADMIN_PLANS_V1, token);
    expect(res.json().status).toBe(true);
    expect((res.json().data as any[]).find((p) => p.name === 'premium-plus').status).toBe('inactive');
  });

  it('filters by category, status and a partial name, each alone and together (the seed URL)', async () => {
    const { token } = await seedCatalogue();
    expect(names(await h.get(`${ADMIN_PLANS_V1}?category=enterprise`, token))).toEqual(['premium', 'premium-plus']);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?status=active`, token))).toEqual(['basic', 'premium', 'starter']);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?status=inactive`, token))).toEqual(['premium-plus']);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?name=prem`, token))).toEqual(['premium', 'premium-plus']);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?name=PREM`, token))).toEqual(['premium', 'premium-plus']);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?name=sic`, token))).toEqual(['basic']);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?category=enterprise&status=active&name=prem`, token))).toEqual(['premium']);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?category=enterprise&status=active&name=premium`, token))).toEqual(['premium']);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?category=nothing`, token))).toEqual([]);
    // a LIKE wildcard in the filter is a literal character, not "match anything"
    expect(names(await h.get(`${ADMIN_PLANS_V1}?name=%25`, token))).toEqual([]);
    expect(names(await h.get(`${ADMIN_PLANS_V1}?name=_`, token))).toEqual([]);
  });

  it('an unknown status filter is 422; no token 401; a user token 403', async () => {
    const { token } = await seedCatalogue();
    expectError(await h.get(`${ADMIN_PLANS_V1}?status=paused`, token), 422, 'VALIDATION_FAILED');
    expectError(await h.get(ADMIN_PLANS_V1), 401);
    expectError(await h.get(ADMIN_PLANS_V1, await userToken()), 403, 'FORBIDDEN');
  });
});

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

describe('public pricing page (no token)', () => {
  async function catalogue() {
    const token = await root.token(h);
    const premium = await createPlan(h, await root.token(h), premiumBody());
    const basic = await createPlan(h, await root.token(h), basicBody());
    const team = await createPlan(h, await root.token(h), planBody('team', { category: 'enterprise' }));
    const hidden = await createPlan(h, await root.token(h), planBody('hidden', { category: 'enterprise' }));
    const gone = await createPlan(h, await root.token(h), planBody('gone', { category: 'basic' }));
    expect((await h.post(statusUrl(hidden.id), { status: 'inactive' }, token)).statusCode).toBe(200);
    expect((await h.delete(deleteUrl(gone.id), token)).statusCode).toBe(200);
    return { premium, basic, team };
  }

  it('GET /api/v1/subscription/plans lists active plans only, with their full public shape', async () => {
    await catalogue();
    const res = await h.get(PUBLIC_PLANS);
    expect(names(res)).toEqual(['basic', 'premium', 'team']);
    expect(res.json().status).toBe(true);
    const premium = (res.json().data as any[]).find((p) => p.name === 'premium');
    expectPremium(premium);
    for (const p of res.json().data as any[]) expect(p.status).toBe('active');
  });

  it('?category=X and /category/{category} give the active plans of that category', async () => {
    await catalogue();
    expect(names(await h.get(`${PUBLIC_PLANS}?category=enterprise`))).toEqual(['premium', 'team']);
    expect(names(await h.get(`${PUBLIC_PLANS}?category=basic`))).toEqual(['basic']);
    expect(names(await h.get(`${PUBLIC_PLANS}/category/enterprise`))).toEqual(['premium', 'team']);
    expect(names(await h.get(`${PUBLIC_PLANS}/category/basic`))).toEqual(['basic']);
    expect(names(await h.get(`${PUBLIC_PLANS}/category/none`))).toEqual([]);
    // the public listing cannot be asked for inactive plans
    expect(names(await h.get(`${PUBLIC_PLANS}?status=inactive`))).toEqual(['basic', 'premium', 'team']);
    expect(names(await h.get(`${PUBLIC_PLANS}?category=enterprise&status=inactive`))).toEqual(['premium', 'team']);
  });

  it('lists carry meta beside data (contract §3), admin and public alike', async () => {
    await catalogue();
    const token = await root.token(h);
    for (const [url, t] of [
      [ADMIN_PLANS_V1, token],
      [PUBLIC_PLANS, undefined],
      [`${PUBLIC_PLANS}/category/enterprise`, undefined],
      [HNG, undefined],
    ] as const) {
      const res = await h.get(url, t);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.meta, `${url}: no meta`).toBeTypeOf('object');
      if ('total' in body.meta) expect(body.meta.total).toBe(body.data.length);
    }
  });

  it('a plan made inactive disappears, and reappears when active again', async () => {
    const { team } = await catalogue();
    const token = await root.token(h);
    await h.post(statusUrl(team.id), { status: 'inactive' }, token);
    expect(names(await h.get(`${PUBLIC_PLANS}/category/enterprise`))).toEqual(['premium']);
    await h.post(statusUrl(team.id), { status: 'active' }, token);
    expect(names(await h.get(`${PUBLIC_PLANS}/category/enterprise`))).toEqual(['premium', 'team']);
  });
});

describe('HNG simple view: /api/subscription', () => {
  it('GET (no token) answers "Fetched subscriptions successfully" with [{id, name, price}], price = monthly amount, active only', async () => {
    const token = await root.token(h);
    const premium = await createPlan(h, await root.token(h), premiumBody());
    const annual = await createPlan(h, await root.token(h), planBody('annual', { price: { yearly: { amount: 120, currency: 'USD' } } }));
    const off = await createPlan(h, await root.token(h), planBody('off'));
    await h.post(statusUrl(off.id), { status: 'inactive' }, token);

    for (const url of [HNG, HNG_CANON]) {
      const res = await h.get(url);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().status).toBe(true);
      expect(res.json().message).toBe('Fetched subscriptions successfully');
      const data = res.json().data as { id: string; name: string; price: number | null }[];
      expect(data.map((p) => p.name).sort()).toEqual(['annual', 'premium']);
      expect(data.find((p) => p.id === premium.id)).toEqual({ id: premium.id, name: 'premium', price: 29.99 });
      expect(data.find((p) => p.id === annual.id)!.price).toBeNull();
    }
  });

  it('POST with a manage_plans admin: 201 "Plan created successfully"; visible in the rich view with price.monthly.amount = price', async () => {
    const staff = await adminWith(h, ['manage_plans'], { by: await root.token(h) });
    const res = await h.post(HNG, { name: 'Basic', price: 5 }, staff.token);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().status).toBe(true);
    expect(res.json().message).toBe('Plan created successfully');
    const created = res.json().data;
    expect(created).toMatchObject({ name: 'Basic', price: 5 });

    const rich = await h.get(`${ADMIN_PLANS}/${created.id}`, staff.token);
    expect(rich.statusCode, rich.body).toBe(200);
    expect(rich.json().data).toMatchObject({ name: 'Basic', status: 'active', price: { monthly: { amount: 5 }, yearly: null } });
    expect((await stored(created.id))!.monthly_amount).toBe('500');
    expect((await h.get(HNG)).json().data).toEqual([{ id: created.id, name: 'Basic', price: 5 }]);
    const audit = await auditRows('plan.create', created.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.admin_email).toBe(staff.email);

    const decimals = await h.post(HNG_CANON, { name: 'Pro', price: 12.99 }, staff.token);
    expect(decimals.statusCode, decimals.body).toBe(201);
    expect(decimals.json().data.price).toBe(12.99);
    // a duplicate name is a conflict here too
    expectError(await h.post(HNG, { name: 'basic', price: 7 }, staff.token), 409, 'CONFLICT');
  });

  it('POST with a user token (or an admin without manage_plans) is 403 "Only an admin can create a subscription plan."; no token 401', async () => {
    const msg = 'Only an admin can create a subscription plan.';
    expectError(await h.post(HNG, { name: 'Basic', price: 5 }, await userToken()), 403, 'FORBIDDEN', msg);
    const other = await adminWith(h, ['manage_users'], { by: await root.token(h) });
    expectError(await h.post(HNG, { name: 'Basic', price: 5 }, other.token), 403, 'FORBIDDEN', msg);
    expectError(await h.post(HNG, { name: 'Basic', price: 5 }), 401);
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from plans');
    expect(rows[0]!.n).toBe(0);
  });

  it('POST without name or price is 422 "Name and price are required to create a new plan"', async () => {
    const token = await root.token(h);
    const msg = 'Name and price are required to create a new plan';
    for (const body of [{ name: 'Basic' }, { price: 5 }, {}, undefined]) {
      expectError(await h.post(HNG, body, token), 422, 'VALIDATION_FAILED', msg);
    }
    // the token is checked first: a user gets the 403, not the 422
    expectError(await h.post(HNG, {}, await userToken()), 403, 'FORBIDDEN', 'Only an admin can create a subscription plan.');
    expectError(await h.post(HNG, { name: 'Basic', price: -5 }, token), 422, 'VALIDATION_FAILED');
    expectError(await h.post(HNG, { name: 'Basic', price: 5.001 }, token), 422, 'VALIDATION_FAILED');
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from plans');
    expect(rows[0]!.n).toBe(0);
  });

  it('PATCH {price: 12.5} is 200 "Plan updated successfully" and sets the monthly amount; a name renames', async () => {
    const staff = await adminWith(h, ['manage_plans'], { by: await root.token(h) });
    const plan = await createPlan(h, await root.token(h), premiumBody());
    const res = await h.patch(`${HNG}/${plan.id}`, { price: 12.5 }, staff.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe(true);
    expect(res.json().message).toBe('Plan updated successfully');
    expect(res.json().data).toEqual({ id: plan.id, name: 'premium', price: 12.5 });
    expect((await stored(plan.id))!.monthly_amount).toBe('1250');
    // only the monthly amount changed
    const rich = (await h.get(`${ADMIN_PLANS}/${plan.id}`, staff.token)).json().data;
    expect(rich.price).toEqual({ monthly: { amount: 12.5, currency: 'USD' }, yearly: { amount: 299.99, currency: 'USD', savings: 60 } });
    expect(rich.features).toEqual(premiumBody().features);

    const renamed = await h.patch(`${HNG_CANON}/${plan.id}`, { name: 'New Plan Name', price: 10 }, staff.token);
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().data).toEqual({ id: plan.id, name: 'New Plan Name', price: 10 });
    expect(await auditRows('plan.update', plan.id)).toHaveLength(2);
  });

  it('PATCH errors: {} 422 "Enter name or price to update plan."; user 403 "You do not have access to this function."; unknown 404', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    expectError(await h.patch(`${HNG}/${plan.id}`, {}, token), 422, 'VALIDATION_FAILED', 'Enter name or price to update plan.');
    expectError(
      await h.patch(`${HNG}/${plan.id}`, { price: 12.5 }, await userToken()),
      403,
      'FORBIDDEN',
      'You do not have access to this function.',
    );
    expectError(await h.patch(`${HNG}/${UNKNOWN_ID}`, { price: 12.5 }, token), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.patch(`${HNG}/not-a-uuid`, { price: 12.5 }, token), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.patch(`${HNG}/${plan.id}`, { price: 12.5 }), 401);
    await createPlan(h, await root.token(h), basicBody());
    expectError(await h.patch(`${HNG}/${plan.id}`, { name: 'Basic' }, token), 409, 'CONFLICT');
    expect((await stored(plan.id))!.monthly_amount).toBe('2999');
  });

  it('PATCH with no body at all is the same 422 "Enter name or price to update plan."', async () => {
    const plan = await createPlan(h, await root.token(h), premiumBody());
    expectError(
      await h.patch(`${HNG}/${plan.id}`, undefined, await root.token(h)),
      422,
      'VALIDATION_FAILED',
      'Enter name or price to update plan.',
    );
  });

  it('DELETE is 200 "Plan deleted successfully" (a soft delete); user 403 "You do not have access to this function."; unknown 404', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    expectError(await h.delete(`${HNG}/${plan.id}`, await userToken()), 403, 'FORBIDDEN', 'You do not have access to this function.');
    expectError(await h.delete(`${HNG}/${plan.id}`), 401);
    expectError(await h.delete(`${HNG}/${UNKNOWN_ID}`, token), 404, 'NOT_FOUND', NOT_FOUND);

    const res = await h.delete(`${HNG}/${plan.id}`, token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe(true);
    expect(res.json().message).toBe('Plan deleted successfully');
    expect((await h.get(HNG)).json().data).toEqual([]);
    expectError(await h.get(`${ADMIN_PLANS}/${plan.id}`, token), 404, 'NOT_FOUND', NOT_FOUND);
    expectError(await h.delete(`${HNG_CANON}/${plan.id}`, token), 404, 'NOT_FOUND', NOT_FOUND);
    expect(await auditRows('plan.delete', plan.id)).toHaveLength(1);
  });
});

describe('audit', () => {
  it('every plan write leaves one row naming the admin and the plan; reads leave none', async () => {
    const staff = await adminWith(h, ['manage_plans'], { by: await root.token(h) });
    const create = await h.post(ADMIN_PLANS, premiumBody(), staff.token);
    const id = create.json().data.id as string;
    await h.get(`${ADMIN_PLANS}/${id}`, staff.token);
    await h.get(ADMIN_PLANS_V1, staff.token);
    expect((await h.put(`${ADMIN_PLANS}/${id}`, basicBody(), staff.token)).statusCode).toBe(200);
    expect((await h.put(planFeaturesUrl(id), { features: { teamMembers: 15 } }, staff.token)).statusCode).toBe(200);
    expect((await h.patch(customFeaturesUrl(id), { customFeatures: SEED_CUSTOM_FEATURES }, staff.token)).statusCode).toBe(200);
    expect((await h.post(statusUrl(id), { status: 'inactive' }, staff.token)).statusCode).toBe(200);
    expect((await h.delete(deleteUrl(id), staff.token, { status: 'inactive' })).statusCode).toBe(200);

    const { rows } = await h.db.query<{ action: string; target_type: string; target_id: string; admin_email: string }>(
      `select action, target_type, target_id, admin_email from audit_log where action like 'plan.%' order by id`,
    );
    expect(rows.map((r) => r.action)).toEqual([
      'plan.create',
      'plan.update',
      'plan.features',
      'plan.custom_features',
      'plan.status',
      'plan.delete',
    ]);
    for (const r of rows) expect(r).toMatchObject({ target_type: 'plan', target_id: id, admin_email: staff.email });
  });

  it('a refused write (409, 422, 404) leaves no audit row', async () => {
    const token = await root.token(h);
    const plan = await createPlan(h, await root.token(h), premiumBody());
    await createPlan(h, await root.token(h), basicBody());
    const before = (await h.db.query<{ n: number }>(`select count(*)::int as n from audit_log where action like 'plan.%'`)).rows[0]!.n;
    await h.post(ADMIN_PLANS, premiumBody(), token);
    await h.put(`${ADMIN_PLANS}/${plan.id}`, basicBody(), token);
    await h.post(statusUrl(plan.id), { status: 'paused' }, token);
    await h.delete(deleteUrl(UNKNOWN_ID), token);
    const after = (await h.db.query<{ n: number }>(`select count(*)::int as n from audit_log where action like 'plan.%'`)).rows[0]!.n;
    expect(after).toBe(before);
  });
});
