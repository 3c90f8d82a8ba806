import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminWith, createPlan, fieldsOf, rootSession, SUPERADMIN } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';
import {
  ADMIN_PLANS,
  ADMIN_PLANS_V1,
  basicBody,
  CANON,
  expectError,
  expectPremium,
  NOT_FOUND,
  names,
  planBody,
  planFeaturesUrl,
  planHelpers,
  premiumBody,
  statusUrl,
  UNKNOWN_ID,
} from './helpers/plans.js';

/**
 * The plan catalogue (issue 4, "Plan catalogue"): creating, reading and listing plans at the SocioX
 * admin endpoints' every documented spelling (and the canonical routes at least once). Changes,
 * status and deletion are in plans-update.test.ts; the public pricing page, HNG's simple
 * `{id, name, price}` view and the audit trail in plans-public.test.ts.
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
      expectError(await h.post(ADMIN_PLANS, { ...premiumBody(), name }, token), 409, 'CONFLICT', 'A plan with this name already exists');
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
