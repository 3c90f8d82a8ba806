import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminWith, createPlan, rootSession } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';
import {
  ADMIN_PLANS,
  ADMIN_PLANS_V1,
  basicBody,
  customFeaturesUrl,
  deleteUrl,
  expectError,
  expectPremium,
  HNG,
  HNG_CANON,
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
 * The plan catalogue as others see it: the public pricing-page listings, HNG's simple
 * `{id, name, price}` view of the same table with its exact messages, and the audit trail of
 * every plan change.
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
